"""The API description is served by the app itself; no page of the app depends on a CDN the CSP would block."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_no_api_page_points_at_a_cdn(server: TestClient, path: str) -> None:
    response = server.get(path)
    if response.status_code == 200:  # served: then only with the app's own assets
        assert not re.search(r"""(src|href)=["']https?://""", response.text), response.text[:500]
    else:
        assert response.status_code == 404


def test_the_openapi_description_is_served(server: TestClient) -> None:
    response = server.get("/openapi.json")
    assert response.status_code == 200
    assert "/api/w/{workspace}/overview" in response.json()["paths"]
