"""Names across scripts: a Latin spelling and a Hangul one reduce to the same skeleton."""

from __future__ import annotations

import pytest

from insa.allowance.roman import hangul_skeleton, latin_key


@pytest.mark.parametrize(
    ("latin", "hangul"),
    [
        ("KIM MINJUN", "김민준"),
        ("Minjun Kim", "김민준"),
        ("GIM MIN-JUN", "김민준"),
        ("LEE SEO YEON", "이서연"),
        ("Seoyeon Rhee", "이서연"),
        ("PARK JI-HOO", "박지후"),
        ("CHOI YU-NA", "최유나"),
        ("NGUYEN THI HOA", "응우옌티호아"),
        ("JEONG HA-EUN", "정하은"),
        # a given name's syllable that is also a surname's spelling (JU, CHAE, SEO), the
        # surname last
        ("Ju-Jin Kim", "김주진"),
        ("CHAE RAN GWON", "권채란"),
        ("Ha-Seo Rhee", "이하서"),
        ("SEO-GEUN JUN", "전서근"),
    ],
)
def test_a_latin_spelling_meets_its_hangul(latin: str, hangul: str) -> None:
    assert hangul_skeleton(hangul) in latin_key(latin)[1:]


def test_different_names_stay_apart() -> None:
    assert hangul_skeleton("김서연") not in latin_key("KIM MINJUN")[1:]
    assert hangul_skeleton("박민수") not in latin_key("PARK JIHOO")[1:]


def test_the_normal_form_puts_a_known_surname_first() -> None:
    assert latin_key("Minjun Kim")[0] == latin_key("KIM MIN-JUN")[0] == "KIMMINJUN"
    assert latin_key("MARIA SANTOS")[0] == "MARIASANTOS"  # not a Korean surname: as written
    assert latin_key("")[0] == ""
