"""OpenAPI schema post-processing (drf-spectacular POSTPROCESSING_HOOKS): what every operation
may answer besides 200.

Every /api/ operation can answer 400 (a malformed parameter: the body names it) and 404 (an
unknown slug, a page past the last); a detail under a merged-away slug answers 301 to the
survivor. All of them are JSON (newsbase.errors). schemathesis checks the declarations
(tests/test_api_schemathesis.py).
"""

ERROR = {
    "type": "object",
    "description": '{"detail": "…"} or, for bad parameters, {"<parameter>": ["what was wrong"]}.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _json(description):
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def declare_error_responses(result, generator, request, public):
    """Adds the Error component and the 400/404 (and 301 on details) answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _json("A parameter is malformed; the body says which."))
            responses.setdefault("404", _json("No such object or page."))
            if "{slug}" in path:
                responses.setdefault(
                    "301", {"description": "The object was merged into another: Location is the survivor's URL."}
                )
    return result
