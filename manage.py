#!/usr/bin/env python
"""Django's manage.py; `kesu` (the console script) does the same."""

from kesu.cli import main

if __name__ == "__main__":
    main()
