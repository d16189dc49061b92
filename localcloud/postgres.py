"""A throwaway PostgreSQL cluster (Debian's ``postgresql`` package) on 127.0.0.1.

A throwaway cluster: ``initdb`` into a temporary directory owned by an unprivileged user
(PostgreSQL refuses to run as root; as root we use ``runuser -u nobody``), SCRAM password
authentication on 127.0.0.1 only, a free port, stopped and deleted at session end.
Used by the local cloud (``localcloud.services``), the tests (``tests/fixtures/postgres.py``) and
the benchmarks. ``find_bin_dir()`` is None when the binaries are absent (``apt-get install postgresql``).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from localcloud.ports import free_port

SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` holding initdb, pg_ctl and postgres."""
    candidates = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        major = Path(path).parent.name
        if all(Path(path, b).is_file() for b in ("initdb", "pg_ctl", "postgres")) and major.isdigit():
            candidates.append((int(major), Path(path)))
    return max(candidates)[1] if candidates else None


@dataclass(frozen=True)
class PgDatabase:
    """One database and a login role owning it (what PgDatabase gives a function)."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    def conninfo(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
            "sslmode": "disable",
        }

    def env(self, binding: str) -> dict[str, str]:
        """The settings ``db.connect(fn)`` injects on Alibaba Cloud (password in the env)."""
        prefix = f"DB_{binding.upper().replace('-', '_')}_"
        return {
            prefix + "HOST": self.host,
            prefix + "PORT": str(self.port),
            prefix + "NAME": self.dbname,
            prefix + "USER": self.user,
            prefix + "PASSWORD": self.password,
            prefix + "SSLMODE": "disable",
        }


class PgCluster:
    def __init__(self, bin_dir: Path, *, tls: bool = False, root: Path | None = None) -> None:
        """``root``: an empty directory to hold the cluster (default: a fresh temporary one)."""
        self.bin_dir = bin_dir
        self.tls = tls
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        self.root = root or Path(tempfile.mkdtemp(prefix="cloudfn-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.password = secrets.token_urlsafe(16)
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._run_as = ["runuser", "-u", "nobody", "--"]
        self.root.chmod(0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self._run_as, *args], check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PgCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._run_as:
            os.chown(pwfile, pwd.getpwnam("nobody").pw_uid, -1)
        try:
            self._run(
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr or exc.stdout}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        options = (
            f"-p {self.port} -c listen_addresses={self.host} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        if self.tls:
            options += " " + self._make_certificate()
        try:
            self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {exc.stderr or exc.stdout}\n{log}") from exc
        return self

    def _make_certificate(self) -> str:
        """A self-signed RSA-2048 certificate (what RDS serves), for ``sslmode=require`` clients."""
        cert, key = self.root / "server.crt", self.root / "server.key"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        key.chmod(0o600)
        if self._run_as:
            user = pwd.getpwnam("nobody")
            for f in (cert, key):
                os.chown(f, user.pw_uid, user.pw_gid)
        return f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def version(self) -> str:
        return self.bin_dir.parent.name

    def superuser(self, dbname: str = "postgres") -> PgDatabase:
        return PgDatabase(self.host, self.port, dbname, SUPERUSER, self.password)

    def admin_connect(self, dbname: str = "postgres"):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(autocommit=True, **self.superuser(dbname).conninfo())

    def create_database(
        self, prefix: str = "t", *, name: str | None = None, user: str | None = None, password: str | None = None
    ) -> PgDatabase:
        """A fresh database owned by a fresh non-superuser login role (like the RDS app account).

        ``name``/``user``/``password`` default to fresh random ones."""
        from psycopg import sql

        tag = uuid.uuid4().hex[:10]
        name, user = name or f"{prefix}_{tag}", user or f"u_{tag}"
        password = password or secrets.token_urlsafe(12)
        with self.admin_connect() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password))
            )
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(user)))
        return PgDatabase(self.host, self.port, name, user, password)

    def terminate(self, db: PgDatabase) -> int:
        """Kill every backend of ``db`` the way a failover or idle timeout does; returns how many."""
        with self.admin_connect() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (db.dbname,),
            ).fetchall()
        return len(rows)
