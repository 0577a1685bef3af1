"""Start the web app: `python app.py` (settings from ASSISTANT_* variables or .env)."""

import sys

import assistant  # noqa: F401  (applies the offline defaults before anything else loads)
from assistant.errors import AssistantError
from assistant.settings import load_settings
from assistant.ui import serve

if __name__ == "__main__":
    try:
        serve(load_settings(), insecure="--insecure" in sys.argv)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
