"""Going live's nginx server and systemd unit, as pasted, checked by the tools that read them:
``nginx -t`` (Debian's nginx) and ``systemd-analyze verify``. Only the certificate, which a
reader brings, is swapped for one made here."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .docs_blocks import DOCS, LANGUAGES, code_blocks

PAGES = [DOCS / language / "going-live.md" for language in LANGUAGES]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    cert, key_file = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert, key_file


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.parent.name)
def test_the_nginx_server_passes_nginx_t(page: Path, tmp_path: Path):
    assert Path(NGINX).exists(), "nginx is missing: apt-get install nginx (run-tests.sh does)"
    (server,) = code_blocks(page, "nginx")
    assert "location /static/" in server and "location /media/" in server
    cert, key = self_signed(tmp_path)
    server = re.sub(r"(ssl_certificate\s+)\S+;", rf"\g<1>{cert};", server)
    server = re.sub(r"(ssl_certificate_key\s+)\S+;", rf"\g<1>{key};", server)
    (tmp_path / "server.conf").write_text(server)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/server.conf;\n}}\n")
    result = subprocess.run([NGINX, "-t", "-q", "-e", "stderr", "-p", str(tmp_path),
                             "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.parent.name)
def test_the_systemd_unit_verifies(page: Path, tmp_path: Path):
    assert Path(SYSTEMD_ANALYZE).exists(), "systemd-analyze is missing: apt-get install systemd"
    (unit,) = [b for b in code_blocks(page, "ini") if b.startswith("# /etc/systemd/system/")]
    name = unit.splitlines()[0].rsplit("/", 1)[1]
    (tmp_path / name).write_text(unit)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", str(tmp_path / name)],
                            capture_output=True, text=True, timeout=60)
    # The virtualenv of the unit lives on the server only; anything else is the unit's fault.
    executable = re.search(r"^ExecStart=(\S+)", unit, flags=re.M)[1]
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()
                and f"Command {executable} is not executable" not in line]
    assert not problems, "\n".join(problems)
    assert "gunicorn mysite.wsgi:application" in unit
