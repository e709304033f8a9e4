"""Every UI label in English and Vietnamese. tests/test_web_i18n.py checks both have the same keys."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app_name": "civicpulse",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "username": "User name",
        "password": "Password",
    },
    "vi": {
        "app_name": "civicpulse",
        "sign_in": "Đăng nhập",
        "sign_out": "Đăng xuất",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
    },
}
