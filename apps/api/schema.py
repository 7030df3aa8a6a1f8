"""OpenAPI additions: the error responses every operation can give, in the shape the API sends."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name (or 'detail' / 'non_field_errors' / 'Idempotency-Key') to messages.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: each field with its messages.",
    "401": "No or invalid credentials.",
    "403": "Your role does not allow this action.",
    "404": "No such record in your scope.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "422": "The Idempotency-Key was used for a different request.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the errors next to each operation's success."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                if code == "422" and method != "post":
                    continue
                responses.setdefault(code, {"description": description, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    return result
