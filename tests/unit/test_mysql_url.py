"""MySQL and MariaDB URLs name one dialect, pass their parameters through and never
show the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemashift.dialects import parse_url
from schemashift.errors import ConfigError


@pytest.mark.parametrize("scheme", ["mysql", "mariadb", "mysql+pymysql", "MySQL"])
def test_mysql_schemes_name_the_mysql_dialect(scheme: str) -> None:
    url = parse_url(f"{scheme}://app:s3cret@db.example:3307/shop?ssl_ca=/ca.pem", Path("/"))
    assert url.dialect == "mysql"
    assert (url.user, url.password, url.host, url.port, url.database) == (
        "app",
        "s3cret",
        "db.example",
        3307,
        "shop",
    )
    assert url.query == (("ssl_ca", "/ca.pem"),)
    assert "s3cret" not in str(url) and "s3cret" not in repr(url)


def test_mysql_connection_keywords_take_the_url_parameters() -> None:
    from schemashift.dialects.mysql.connection import connect_kwargs

    url = parse_url("mysql://app@db/shop?connect_timeout=3&password=pw", Path("/"))
    kwargs = connect_kwargs(url)
    assert kwargs["connect_timeout"] == 3 and kwargs["password"] == "pw"
    assert kwargs["database"] == "shop" and kwargs["charset"] == "utf8mb4"


@pytest.mark.parametrize("raw", ["db.sqlite3", "oracle://app:pw@db/shop"])
def test_a_url_no_dialect_reads_names_every_dialects_form(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url(raw, Path("/"))
    message = caught.value.message
    for form in ("sqlite:///", "postgresql://", "mysql://", "mariadb://"):
        assert form in message
    assert "pw" not in message


def test_an_unreadable_host_is_shown_in_the_urls_own_scheme() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_url("mariadb://app:pw@[::1/shop", Path("/"))
    assert "mariadb://USER@[::1]:PORT/DATABASE" in caught.value.message
    assert "pw" not in caught.value.message
