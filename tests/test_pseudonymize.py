import stat

import pytest

from civicpulse.ingest.pseudonymize import KeyFileError, KeyStore, Pseudonymizer


def test_pseudonyms_are_stable_keyed_and_per_platform(tmp_path):
    keys = KeyStore(tmp_path / "keys")
    p1 = Pseudonymizer(keys.load("city"))
    again = Pseudonymizer(keys.load("city"))
    other = Pseudonymizer(keys.load("newsroom"))
    assert p1("x", "12345") == again("x", "12345")
    assert p1("x", "12345") != other("x", "12345")
    assert p1("x", "12345") != p1("reddit", "12345")
    assert "12345" not in p1("x", "12345") and p1("x", "12345").startswith("1.")


def test_key_file_is_private_and_outside_the_database(tmp_path):
    keys = KeyStore(tmp_path / "keys")
    keys.load("city")
    mode = stat.S_IMODE((tmp_path / "keys" / "city.key").stat().st_mode)
    assert mode == 0o600


def test_rotation_changes_pseudonyms_and_retires_the_old_key(tmp_path):
    keys = KeyStore(tmp_path)
    before = Pseudonymizer(keys.load("city"))("x", "u1")
    new = keys.rotate("city")
    after = Pseudonymizer(new)("x", "u1")
    assert new.version == 2 and after.startswith("2.") and after != before
    assert (tmp_path / "city.key.v1.retired").exists()
    keys.rotate("city", keep_retired=False)
    assert not (tmp_path / "city.key.v2.retired").exists()


def test_unreadable_key_file_is_a_clear_error(tmp_path):
    (tmp_path / "city.key").write_text("not json")
    with pytest.raises(KeyFileError, match="unreadable key file"):
        KeyStore(tmp_path).load("city")
