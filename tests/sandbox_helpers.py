"""What the sandbox's plain-Python tests share: a clock they move, and HTTP calls to the sandbox."""

from datetime import timedelta

import requests

TOKEN = "sandbox-token"


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


def call(sb, method, path, token=TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def get(sb, path, params=None):
    response = call(sb, "GET", path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()
