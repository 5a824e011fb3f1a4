"""The OpenAPI 3 schema at /api/schema/ describes the public API as it really answers."""

import json
import uuid

import jsonschema
import pytest
from django.core.management import call_command

SCHEMA = "/api/schema/"


@pytest.fixture
def schema(client, db):
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _nullable_to_json_schema(node):
    """OpenAPI 3.0 `nullable: true` written as JSON Schema's type list, for jsonschema."""
    if isinstance(node, dict):
        node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            elif "allOf" in node or "oneOf" in node or "$ref" in node:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable_to_json_schema(value) for value in node]
    return node


def validate(schema: dict, path: str, method: str, status: int, data) -> None:
    """Check a real response body against the schema of that operation and status."""
    content = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    # The operation's schema with the components beside it, so that its $refs resolve.
    jsonschema.validate(data, _nullable_to_json_schema({**content, "components": schema["components"]}))


def test_the_schema_is_openapi_3_and_open_to_anyone(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "safetysurvey API"


def test_the_schema_has_the_three_public_endpoints(schema):
    assert set(schema["paths"]["/api/v1/checklist/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/districts/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/responses/"]) == {"post"}


def test_the_schema_names_every_answer_the_response_endpoint_gives(schema):
    post = schema["paths"]["/api/v1/responses/"]["post"]
    assert set(post["responses"]) == {"200", "201", "400", "409", "415", "429", "503"}
    assert post["security"] == [{}]  # anonymous
    body = post["requestBody"]["content"]["application/json"]
    request = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(request["required"]) == {"district", "language", "answers"}
    assert request["properties"]["client_id"]["format"] == "uuid"
    assert body["examples"]


def test_the_schema_documents_the_field_error_shape(schema):
    errors = schema["paths"]["/api/v1/responses/"]["post"]["responses"]["400"]["content"]["application/json"]
    properties = schema["components"]["schemas"][errors["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"district", "language", "answers", "client_id", "detail"} <= set(properties)


def test_the_schema_passes_drf_spectaculars_own_validation_without_warnings(tmp_path, settings):
    settings.DEBUG = True
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/responses/" in (tmp_path / "schema.yaml").read_text()


def test_the_checklist_matches_its_schema(client, schema, survey_ready):
    validate(schema, "/api/v1/checklist/", "get", 200, client.get("/api/v1/checklist/").json())
    validate(schema, "/api/v1/checklist/", "get", 200, client.get("/api/v1/checklist/?lang=kk").json())


def test_the_districts_match_their_schema(client, schema, districts):
    validate(schema, "/api/v1/districts/", "get", 200, client.get("/api/v1/districts/").json())


def test_a_stored_response_and_a_refusal_match_their_schemas(client, schema, survey_ready, valid_answers):
    body = {"district": "KRG-KZB", "language": "en", "answers": valid_answers}
    stored = client.post("/api/v1/responses/", body, content_type="application/json")
    validate(schema, "/api/v1/responses/", "post", 201, stored.json())
    body["answers"]["safe_walk_day"] = "x"
    refused = client.post("/api/v1/responses/", body | {"district": "X"}, content_type="application/json")
    validate(schema, "/api/v1/responses/", "post", 400, refused.json())


def test_swagger_ui_is_served_from_our_own_static_files(client, db, settings):
    # The manifest storage of production needs collectstatic; the plain one names the same files.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "<script>" not in html  # its settings come from a separate script (a CSP without inline scripts)


def test_every_request_example_matches_its_request_schema(schema):
    # A strict client validates what it sends: `oneOf: [integer, number]` once refused every option value.
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, example in body.get("examples", {}).items():
                request = _nullable_to_json_schema({**body["schema"], "components": schema["components"]})
                jsonschema.validate(example["value"], request), (method, path, name)
                checked += 1
    assert checked >= 3  # the response, the paper entry, the report request


def test_the_schema_check_itself_refuses_a_body_of_the_wrong_shape(schema):
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, "/api/v1/districts/", "get", 200, [{"code": 1, "takes_responses": "yes"}])
    with pytest.raises(jsonschema.ValidationError):
        validate(schema, "/api/v1/responses/", "post", 201, {"district": "KRG-KZB", "scores": {"feeling": "high"}})


def test_the_stored_response_is_what_its_serializer_documents(client, survey_ready, valid_answers):
    from surveys.api import ResponseOutSerializer
    from surveys.models import Response

    body = {"district": "KRG-KZB", "language": "en", "answers": valid_answers, "client_id": str(uuid.uuid4())}
    data = client.post("/api/v1/responses/", body, content_type="application/json").json()
    assert data == ResponseOutSerializer(Response.objects.get()).data


def test_the_documented_example_is_a_valid_response_with_the_documented_scores(client, survey_ready):
    from surveys.api import EXAMPLE_BODY, EXAMPLE_STORED

    # Its client_id is a placeholder (tests/surveys/test_api_documented_client_id_reads_nothing.py):
    # a client makes a new one for each response.
    body = EXAMPLE_BODY | {"client_id": str(uuid.uuid4())}
    response = client.post("/api/v1/responses/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    scores = {key: round(value, 1) if isinstance(value, float) else value
              for key, value in response.json()["scores"].items()}
    assert scores == EXAMPLE_STORED["scores"]
