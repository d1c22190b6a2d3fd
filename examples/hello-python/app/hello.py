"""Run on python:trixie (no shell, no pip) with the virtualenv pip filled in python:trixie-dev."""
import os
import platform
import ssl

from greeting import greet

ca = "CA bundle ok" if ssl.create_default_context().cert_store_stats()["x509_ca"] > 100 else "no CA bundle"
print(f"{greet('python ' + platform.python_version_tuple()[0] + '.' + platform.python_version_tuple()[1])} ({platform.system().lower()}/{platform.machine()}, {ca}) as uid {os.getuid()}")
