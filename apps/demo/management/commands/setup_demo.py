"""Create the demo sites and users (idempotent), for `make run`."""
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Site, User
from apps.e2b.services import sender_ensure_demo

DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = (
    # username, site code, role, is_staff
    ("reporter-01", "site-01", "reporter", False),
    ("reporter-02", "site-02", "reporter", False),
    ("reviewer", None, "reviewer", False),
    ("analyst", None, "analyst", False),
    ("admin", None, "admin", True),
)


class Command(BaseCommand):
    help = "Create demo sites and one user per role (password: %s)." % DEMO_PASSWORD

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("setup_demo creates users with a shared, published password: it runs only with "
                               "DEBUG=true (make run), never on a production installation.")
        sites = {code: Site.objects.get_or_create(code=code, defaults={"name": f"Demo clinic {code[-2:]}"})[0]
                 for code in ("site-01", "site-02")}
        admin_group = Group.objects.get(name="admin")
        admin_group.permissions.set(Permission.objects.all())
        for username, site_code, role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
            user.site = sites.get(site_code)
            user.is_staff = is_staff
            user.is_superuser = role == "admin"
            user.save()
            user.groups.set([Group.objects.get(name=role)])
        sender = sender_ensure_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo users ready (password {DEMO_PASSWORD}); "
                                             f"E2B sender: {sender}."))
