import pytest

from cloudfn import settings as fn_settings
from components.bindings import setting_name


@pytest.mark.parametrize(
    ("kind", "binding", "field", "expected"),
    [
        ("bucket", "uploads", "name", "BUCKET_UPLOADS_NAME"),
        ("queue", "thumb-results", "url", "QUEUE_THUMB_RESULTS_URL"),
        ("db", "tasks", "secret_arn", "DB_TASKS_SECRET_ARN"),
    ],
)
def test_program_and_functions_agree_on_setting_names(kind: str, binding: str, field: str, expected: str) -> None:
    assert setting_name(kind, binding, field) == expected
    assert fn_settings.setting_name(kind, binding, field) == expected


def test_function_side_reads_what_the_program_injects() -> None:
    env = {setting_name("bucket", "uploads", "name"): "b-123"}
    assert fn_settings.binding("bucket", "uploads", "name", env) == "b-123"
    with pytest.raises(fn_settings.SettingError, match="BUCKET_OTHER_NAME"):
        fn_settings.binding("bucket", "other", "name", env)
