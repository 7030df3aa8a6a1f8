"""kombu's filesystem transport with atomic message writes: the embedded broker of `make run`.

kombu creates a message file and then writes it, while a consumer in another process may
already move and read the empty file (JSONDecodeError, and the worker stops). Here each
message is written under a temporary name that consumers ignore and renamed into place.
"""
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = f"{final}.tmp"  # not `<queue>.msg`: `_get` skips it
        try:
            with open(temporary, "wb") as message:
                message.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
