"""`patron serve`: the web server (gunicorn) and, beside it, a job consumer."""

from __future__ import annotations

import atexit
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Patron over HTTP with gunicorn and start a job consumer beside it, so one "
        "command gives a complete system. Static files are served by the app itself."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
        parser.add_argument("--workers", type=int, default=2, help="web worker processes (2)")
        parser.add_argument(
            "--no-jobs",
            action="store_true",
            help="do not start a job consumer (run `patron worker`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        self._prepare_static_files()
        consumer = None if options["no_jobs"] else self._start_consumer()
        bind = f"{options['host']}:{options['port']}"

        class PatronServer(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", 4)
                self.cfg.set("accesslog", "-" if settings.DEBUG else None)
                self.cfg.set("graceful_timeout", 10)

            def load(self) -> Any:
                from patron.wsgi import application

                return application

        self.stdout.write(
            f"Patron serving on http://{bind}/ (jobs: "
            f"{'separate' if consumer is None else 'in this command'})"
        )
        PatronServer().run()

    def _prepare_static_files(self) -> None:
        """Hashed static file names need their manifest: gather the files once if
        `patron setup` (or `collectstatic`) has not, rather than fail every page."""
        storage = settings.STORAGES["staticfiles"]["BACKEND"]
        if "Manifest" in storage and not (settings.STATIC_ROOT / "staticfiles.json").exists():
            self.stdout.write("Gathering static files (first start)…")
            call_command("collectstatic", interactive=False, verbosity=0)

    def _start_consumer(self) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "patron", "worker"])

        def stop() -> None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

        atexit.register(stop)
        return process
