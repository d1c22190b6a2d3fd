"""Example service for the python-app customization: reports a heartbeat to an
internal endpoint over HTTPS, verified against the system CA bundle, which the
customization extends with the company's internal CA."""
import os
import sys

import requests


def main() -> int:
    if "--self-test" in sys.argv:
        # requests uses Debian's certifi, which points at the system bundle.
        assert requests.Session().verify is True
        print("ok")
        return 0
    url = os.environ.get("HEARTBEAT_URL")
    if not url:
        print("HEARTBEAT_URL is not set", file=sys.stderr)
        return 2
    response = requests.post(url, json={"status": "up"}, timeout=10)
    print(response.status_code)
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main())
