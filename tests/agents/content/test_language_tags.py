"""Language tags with a region ("es-MX", "pt-BR", "zh_CN") pick that language's templates.

Regression: `content generate --lang es-MX` said "no templates for language 'es-MX'".
"""

from __future__ import annotations

import pytest

from agents.content.errors import ContentError
from agents.content.platforms import check_language


@pytest.mark.parametrize(
    ("tag", "code"),
    [("es", "es"), ("ES", "es"), ("es-MX", "es"), ("pt-BR", "pt"), ("zh_CN", "zh"),
     ("zh-Hans-CN", "zh"), (" de-DE ", "de")],
)  # fmt: skip
def test_a_region_tag_names_its_language(tag, code):
    assert check_language(tag) == code


def test_a_language_without_templates_is_still_refused():
    with pytest.raises(ContentError, match="fr-FR"):
        check_language("fr-FR")
