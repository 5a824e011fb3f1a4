"""A 404 is JSON under /api/, as every other API answer and the schema say; a page elsewhere."""

import pytest


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/paper/batches/abc/", "/api/v1/reports/-1/"])
def test_an_unknown_api_path_is_a_json_404(client, db, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_is_still_the_html_404_page(client, db):
    response = client.get("/nothing/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
