"""`patron compilemessages`: build the .mo message catalogues from the .po files (Babel).

Pure Python, so installing Patron needs no gettext tools; translators still edit ordinary
gettext .po files under src/patron/locale/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile Patron's message catalogues (.po → .mo) for every language."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for root in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
                with po_path.open("rb") as handle:
                    try:
                        catalog = read_po(handle, locale=po_path.parts[-3])
                    except Exception as exc:
                        raise CommandError(f"{po_path}: {exc}") from exc
                with po_path.with_suffix(".mo").open("wb") as handle:
                    write_mo(handle, catalog, use_fuzzy=False)
                compiled += 1
        self.stdout.write(f"Compiled {compiled} message catalogues.")
