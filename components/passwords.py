"""The database password rule both clouds accept, its check, and the generator's settings.

Kept apart from ``components.database`` so ``settings.load()`` can check ``dbPassword`` before
any component module (or resource) exists.
"""

from __future__ import annotations

import string

from components.errors import invalid

# ApsaraDB RDS account passwords: 8-32 characters, at least three of uppercase, lowercase,
# digits and the special characters !@#$&%^*()_+-= (ResetAccountPassword / ALIYUN::RDS::Account).
# RDS master passwords may not contain '@', '/', '"' or a space, so '@' is left out here: one
# rule valid on both clouds.
PASSWORD_SPECIALS = "!#$%^&*()_+-="
PASSWORD_RULE = (
    f"8-32 characters from letters, digits and {PASSWORD_SPECIALS}, using at least three of: "
    "lowercase, uppercase, digits, those symbols (valid for RDS and ApsaraDB alike)"
)

# What pulumi_random.RandomPassword generates when no password is configured (Alibaba Cloud):
# within the rule above with every class present, so no retry or luck is involved.
GENERATED_LENGTH = 24
GENERATED_MIN_PER_CLASS = 2


def check_password(where: str, password: str) -> None:
    """Raise ``pulumi.RunError`` unless ``password`` follows :data:`PASSWORD_RULE`.

    Never echoes the value: the error would put the secret in the logs.
    """
    allowed = set(string.ascii_letters + string.digits + PASSWORD_SPECIALS)
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in PASSWORD_SPECIALS for c in password),
    ]
    if not 8 <= len(password) <= 32 or not set(password) <= allowed or sum(classes) < 3:
        raise invalid(where, "<secret not shown>", PASSWORD_RULE)
