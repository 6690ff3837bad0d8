#!/usr/bin/env python
"""Django's usual entry point, for those who expect it; `patron manage` does the same."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
