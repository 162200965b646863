# ruff: noqa: RUF001  (real text: en dashes and acute accents)
"""The digest email: golden files and the MIME message read back."""

from __future__ import annotations

import textwrap
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.commands.digest import write_digest
from newsletter.core.errors import NewsletterError
from newsletter.render import email_text

AS_OF = "2024-04-30"


def written(project: Path, tmp_path: Path, period: str) -> Path:
    return write_digest(project, tmp_path / "out", period, date.fromisoformat(AS_OF))


def in_norwegian(project: Path) -> Path:
    """The sample project with `language: nb`, its lecture still in English."""
    config = project / "newsletter.yaml"
    config.write_text(config.read_text("utf-8").replace("language: en", "language: nb"), "utf-8")
    with (project / "items/lecture.yaml").open("a", encoding="utf-8") as lecture:
        lecture.write("lang: en\n")
    return project


SEMINAR = """\
title: Seminar on telomeres
date: 2024-04-05
summary: A seminar announced the week before, coming up in the next.
event:
  start: 2024-04-19T10:30
  end: 2024-04-19T11:30
  location: Auditorium, K-Building, Radiumhospitalet
  host: Kjetil Taskén
"""


def with_seminar(project: Path) -> Path:
    """The sample project with an event announced in week 14, upcoming in week 15 (an
    event announced in its own week is news there, not an upcoming event again)."""
    (project / "items" / "seminar.yaml").write_text(SEMINAR, encoding="utf-8")
    return project


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize("period", ["2024-W15", "2024-W16"])
def test_email_files_match_golden(
    project: Path, tmp_path: Path, golden, period: str, language: str
) -> None:  # type: ignore[no-untyped-def]
    project = with_seminar(project)
    folder = written(in_norwegian(project) if language == "nb" else project, tmp_path, period)
    prefix = "digests" if language == "en" else f"digests-{language}"
    assert sorted(p.name for p in folder.iterdir()) == [
        "email.eml",
        "email.html",
        "email.txt",
        "index.html",
    ]
    for name in ("email.html", "email.txt", "email.eml"):
        golden(f"{prefix}/{period}/{name}", (folder / name).read_bytes())


def read_eml(folder: Path) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes((folder / "email.eml").read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def test_eml_reads_back_as_text_then_html_with_every_header(project: Path, tmp_path: Path) -> None:
    folder = written(project, tmp_path, "2024-W16")
    raw = (folder / "email.eml").read_bytes()
    assert raw.isascii()
    head, _, body = raw.partition(b"\n\n")
    assert max(len(line) for line in head.splitlines()) <= 78  # RFC 5322
    assert max(len(line) for line in body.splitlines()) <= 76  # RFC 2045, quoted-printable
    message = read_eml(folder)
    assert message.get_content_type() == "multipart/alternative"
    assert dict(message.items()) | {"Content-Type": ""} == {
        "Subject": 'Week 16: Fish & chips < tea > "coffee" — æ ø å 🔬',
        "From": "Test News <news@example.org>",
        "To": "undisclosed-recipients:;",  # the published copy names no recipient
        "Date": "Mon, 22 Apr 2024 00:00:00 +0200",
        "Message-ID": "<digest.2024-W16.85f0b597ca@news.example.org>",
        "List-Id": "Test Institute — News <test.news.example.org>",
        "List-Unsubscribe": (
            "<https://news.example.org/unsubscribe>, "
            "<mailto:unsubscribe@example.org?subject=unsubscribe>"
        ),
        "MIME-Version": "1.0",
        "Content-Type": "",
    }
    assert "=?utf-8?" in raw.split(b"\n", 1)[0].decode()  # the subject is RFC 2047 encoded
    text, html = message.iter_parts()
    assert [text.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    for part in (text, html):
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
        assert "MIME-Version" not in part
    assert text.get_content() == (folder / "email.txt").read_text(encoding="utf-8")
    assert html.get_content() == (folder / "email.html").read_text(encoding="utf-8")
    assert 'Fish & chips < tea > "coffee" — æ ø å 🔬' in text.get_content()
    assert "Ny forskning på Radiumhospitalet" in html.get_content()


def test_eml_is_the_same_bytes_every_time(project: Path, tmp_path: Path) -> None:
    first = (written(project, tmp_path / "a", "2024-W16") / "email.eml").read_bytes()
    second = (written(project, tmp_path / "b", "2024-W16") / "email.eml").read_bytes()
    assert first == second
    assert b'boundary="=_digest_' in first


def test_text_is_plain_wrapped_and_keeps_links_whole(project: Path, tmp_path: Path) -> None:
    long_link = "https://example.org/" + "a-very-long-path-" * 6 + "end"
    (project / "items" / "long.yaml").write_text(
        "title: " + "A rather long title that goes on " * 4 + "\n"
        "date: 2024-04-17\n"
        f"summary: See {long_link} for the whole story & more.\n",
        encoding="utf-8",
    )
    text = (written(project, tmp_path, "2024-W16") / "email.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert all(len(line) <= 78 for line in lines if "://" not in line)
    assert long_link in lines
    assert "A rather long title that goes on A rather long title that goes on A rather" in lines
    for marker in ("&amp;", "&lt;", "<p", "<a ", "**"):
        assert marker not in text
    assert "Kong´s group found that 2 < 3 & 5 > 4" in text


def test_html_layout_holds_what_clients_need(project: Path, tmp_path: Path) -> None:
    folder = written(with_seminar(project), tmp_path, "2024-W15")
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en"')
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert '<!--[if mso]><table role="presentation" width="600"' in html
    assert 'class="preheader"' in html and "display: none" in html
    assert (
        '<img class="image" src="https://news.example.org/test/images/email/blasco.jpg" '
        'alt="Maria A. Blasco" width="560" height="373" style="border:0; '
        "-ms-interpolation-mode:bicubic; display:block; width:100%; height:auto; "
        'background-color:#dde3ea; color:#33475b; font-size:14px" bgcolor="#dde3ea">'
    ) in html
    assert 'href="https://news.example.org/test/digests/2024-W15/index.html"' in html
    assert 'href="https://news.example.org/test/upcoming.ics"' in html
    assert "Friday, 19 April 2024, 10:30–11:30" in html
    for banned in ("display:flex", "display: flex", "grid", "var(--", "@font-face", "url("):
        assert banned not in html


def test_a_site_without_email_settings_sends_from_news_at_its_host(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / "items").mkdir(parents=True)
    (root / "newsletter.yaml").write_text(
        "title: Bare Lab\nbase_url: https://lab.example.net/\n", encoding="utf-8"
    )
    (root / "items/a.yaml").write_text("title: A\ndate: 2024-04-16\nbody: x\n", encoding="utf-8")
    message = read_eml(write_digest(root, tmp_path / "out", "2024-W16", date(2024, 4, 30)))
    assert (message["From"], message["To"]) == (
        "Bare Lab <news@lab.example.net>",
        "undisclosed-recipients:;",
    )
    assert message["List-Unsubscribe"] is None  # no page nobody built
    assert message["List-Id"] == "Bare Lab <news.lab.example.net>"


def test_a_project_template_extends_the_built_in_email(project: Path, tmp_path: Path) -> None:
    (project / "templates").mkdir()
    (project / "templates/email.html").write_text(
        '{% extends "default:email.html" %}\n'
        "{% block style %}{{ super() }}.brand { color: #6a1b9a; }{% endblock %}\n"
        '{% block footer %}<tr><td class="brand">Sent by the lab</td></tr>{% endblock %}\n',
        encoding="utf-8",
    )
    html = (written(project, tmp_path, "2024-W16") / "email.html").read_text(encoding="utf-8")
    assert '<tr><td class="brand" style="color:#6a1b9a">Sent by the lab</td></tr>' in html
    assert "Unsubscribe" not in html
    assert "Ny forskning på Radiumhospitalet" in html


def test_a_project_template_replaces_the_text_part(project: Path, tmp_path: Path) -> None:
    (project / "templates").mkdir()
    (project / "templates/email.txt").write_text(
        "{{ config.title }} & friends\n{% for item in stories %}* {{ item.title }}\n{% endfor %}",
        encoding="utf-8",
    )
    folder = written(project, tmp_path, "2024-W16")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert text == (
        "Test Institute — News & friends\n"
        '* Fish & chips < tea > "coffee" — æ ø å 🔬\n'
        "* Ny forskning på Radiumhospitalet\n"
    )
    assert read_eml(folder).get_body(("plain",)).get_content() == text  # type: ignore[union-attr]


def test_an_undefined_variable_in_an_email_template_is_a_located_error(
    project: Path, tmp_path: Path
) -> None:
    (project / "templates").mkdir()
    (project / "templates/email.html").write_text(
        '{% extends "default:email.html" %}\n'
        "{% block footer %}\n{{ digest.nope }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    with pytest.raises(NewsletterError) as raised:
        written(project, tmp_path, "2024-W16")
    message = "'newsletter.domain.digests.Digest object' has no attribute 'nope'"
    assert str(raised.value).startswith("templates/email.html")
    assert str(raised.value).endswith(f": {message}")


@given(st.text(alphabet=" \t\nab-é\xa0\u2003/:.", max_size=90))
def test_lines_of_the_text_email_wrap_as_textwrap_wraps_them(text: str) -> None:
    expected = textwrap.wrap(text, 78, break_long_words=False, break_on_hyphens=False) or [""]
    assert email_text.wrapped_lines(text) == expected


def test_the_featured_item_leads_large_and_the_rest_follow_compact(
    project: Path, tmp_path: Path
) -> None:
    with (project / "items/norsk.yaml").open("a", encoding="utf-8") as norsk:
        norsk.write(
            "featured: true\nimage: {src: https://images.example.org/lab.jpg, alt: A lab, "
            "width: 900, height: 600}\n"
        )
    (project / "items/pictured.yaml").write_text(
        "title: A pictured story\ndate: 2024-04-18\nbody: Text.\n"
        "image: {src: https://images.example.org/p.jpg, alt: A picture, width: 1200, "
        "height: 800}\n",
        encoding="utf-8",
    )
    folder = written(project, tmp_path, "2024-W16")
    html = (folder / "email.html").read_text(encoding="utf-8")
    lead = html.index('class="lead"')
    assert lead < html.index('class="item"')
    assert html[lead:].index("Ny forskning på Radiumhospitalet") < html[lead:].index("A pictured")
    assert 'alt="A lab" width="560" height="373"' in html
    assert 'alt="A picture" width="160" height="107"' in html
    assert '<h2 class="heading"' in html and "In this issue" in html
    assert read_eml(folder)["Subject"] == "Week 16: Ny forskning på Radiumhospitalet"


def test_every_read_more_link_has_a_name_of_its_own(project: Path, tmp_path: Path) -> None:
    html = (written(project, tmp_path, "2024-W16") / "email.html").read_text(encoding="utf-8")
    page = lxml.html.fromstring(html)
    assert [link.get("aria-label") for link in page.iter("a") if link.text == "Read more"] == [
        'Read more: Fish & chips < tea > "coffee" — æ ø å 🔬',
        "Read more: Ny forskning på Radiumhospitalet",
    ]


def test_the_subject_follows_its_template(project: Path, tmp_path: Path) -> None:
    config = project / "newsletter.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            "email:\n", 'email:\n  subject: "{site}: {lead} ({period})"\n'
        ),
        "utf-8",
    )
    message = read_eml(written(project, tmp_path, "2024-W15"))
    lecture = "Guest lecture 19 April - Dr. Maria A.…"  # cut at a word: 78 characters at most
    assert message["Subject"] == f"Test Institute — News: {lecture} (Week 15, 2024)"
    assert len(message["Subject"]) == 77


LONG_TITLE = (
    "Researchers at the institute map how tumour cells escape the immune system"
    " in three kinds of lymphoma"
)


@pytest.mark.parametrize(("language", "week"), [("en", "Week 16"), ("nb", "Uke 16")])
def test_the_subject_names_the_week_and_cuts_a_long_lead_at_a_word(
    project: Path, tmp_path: Path, language: str, week: str
) -> None:
    (project / "items/long.yaml").write_text(
        f"title: {LONG_TITLE}\ndate: 2024-04-18\nfeatured: true\nsummary: A long story.\n",
        encoding="utf-8",
    )
    project = in_norwegian(project) if language == "nb" else project
    folder = written(project, tmp_path, "2024-W16")
    html = lxml.html.fromstring((folder / "email.html").read_bytes())
    subject = html.findtext("head/title")
    cut = "Researchers at the institute map how tumour cells escape the immune…"
    assert subject == f"{week}: {cut}"
    assert len(subject) <= 78
    assert read_eml(folder)["Subject"] == subject  # no space lost or doubled in folding


def preview_line(folder: Path) -> str:
    """The preheader's text, without the padding after it."""
    html = lxml.html.fromstring((folder / "email.html").read_bytes())
    (preheader,) = html.find_class("preheader")
    return preheader.text_content().split("\u034f")[0]


def test_the_preview_line_gives_the_next_headlines_never_the_subject(
    project: Path, tmp_path: Path
) -> None:
    week_16 = written(project, tmp_path, "2024-W16")
    assert preview_line(week_16) == "Ny forskning på Radiumhospitalet"
    assert 'Fish & chips < tea > "coffee"' in read_eml(week_16)["Subject"]
    # One story alone: its summary, not its title again.
    week_15 = written(project, tmp_path / "alone", "2024-W15")
    assert preview_line(week_15) == "Targeting cellular immortality in cancer."


def test_the_preview_line_opens_with_the_editors_note(project: Path, tmp_path: Path) -> None:
    (project / "notes").mkdir()
    (project / "notes/2024-W16.md").write_text(
        "A quiet week, but *two* stories. Read them both!\n\nAnd more.\n", encoding="utf-8"
    )
    assert preview_line(written(project, tmp_path, "2024-W16")) == (
        "A quiet week, but two stories."
    )


def test_the_editors_note_comes_before_the_news(project: Path, tmp_path: Path) -> None:
    (project / "notes").mkdir()
    (project / "notes/2024-W16.md").write_text(
        "A quiet week, but *two* stories.\n\nSee [the archive](digests/index.html).\n",
        encoding="utf-8",
    )
    folder = written(project, tmp_path, "2024-W16")
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert html.index("From the editor") < html.index(">News</h2>")
    assert "A quiet week, but <em>two</em> stories." in html
    assert 'href="https://news.example.org/test/digests/index.html"' in html
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "FROM THE EDITOR\n===============\n\nA quiet week, but *two* stories.\n\n" in text


def test_the_text_part_names_the_institutes_page_before_the_outside_link(
    project: Path, tmp_path: Path
) -> None:
    with (project / "items/norsk.yaml").open("a", encoding="utf-8") as norsk:
        norsk.write("link: https://doi.org/10.1000/182\n")
    text = (written(project, tmp_path, "2024-W16") / "email.txt").read_text(encoding="utf-8")
    assert (
        "Read more: https://news.example.org/test/news/norsk.html\n"
        "Source: https://doi.org/10.1000/182\n"
    ) in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("2024-16.md", "notes/2024-16.md: name a note after its period, as in notes/2024-W16.md"),
        ("latest.md", "notes/latest.md: name a note after its period, as in notes/2024-W16.md"),
    ],
)
def test_a_note_not_named_after_a_period_is_an_error(
    project: Path, tmp_path: Path, name: str, message: str
) -> None:
    (project / "notes").mkdir()
    (project / "notes" / name).write_text("Hello.\n", encoding="utf-8")
    with pytest.raises(NewsletterError) as raised:
        written(project, tmp_path, "2024-W16")
    assert str(raised.value) == message


def test_a_note_that_is_not_utf8_is_an_error(project: Path, tmp_path: Path) -> None:
    (project / "notes").mkdir()
    (project / "notes/2024-W16.md").write_bytes(b"Gr\xf8nn uke\n")
    with pytest.raises(NewsletterError) as raised:
        written(project, tmp_path, "2024-W16")
    assert str(raised.value) == "notes/2024-W16.md: save it as UTF-8 text"


def test_an_event_announced_as_a_story_says_when_where_and_who_hosts_it(
    project: Path, tmp_path: Path
) -> None:
    lecture = project / "items/lecture.yaml"
    registration = "https://example.org/register"
    lecture.write_text(lecture.read_text("utf-8") + f"  registration: {registration}\n", "utf-8")
    folder = written(project, tmp_path, "2024-W15")
    page = lxml.html.fromstring((folder / "email.html").read_bytes())
    (story,) = page.find_class("lead")
    shown = [" ".join(p.text_content().split()) for p in story.iter("p")]
    assert shown[shown.index("Friday, 19 April 2024, 10:30–11:30") :][:4] == [
        "Friday, 19 April 2024, 10:30–11:30",
        "Where: Auditorium, K-Building, Radiumhospitalet",
        "Host: Kjetil Taskén",
        "Add to calendar · Register",
    ]
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert (
        "Friday, 19 April 2024, 10:30–11:30\n"
        "Where: Auditorium, K-Building, Radiumhospitalet\n"
        "Host: Kjetil Taskén\n"
        "Add to calendar: https://news.example.org/test/events/lecture.ics\n"
        f"Register: {registration}\n"
    ) in text


def test_in_this_issue_links_to_each_story_and_the_text_lists_everything(
    project: Path, tmp_path: Path
) -> None:
    folder = written(with_seminar(project), tmp_path, "2024-W15")
    page = lxml.html.fromstring((folder / "email.html").read_bytes())
    (contents,) = page.find_class("toc")
    links = [(a.get("href"), a.text_content()) for a in contents.iter("a")]
    assert links == [
        ("#story-lecture", "Guest lecture 19 April - Dr. Maria A. Blasco"),
        ("#events", "1 upcoming event"),
    ]
    for href, _ in links:
        (target,) = page.xpath(f"//*[@id='{href[1:]}']")
        assert target.text_content().strip()
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "\n\n- Guest lecture 19 April - Dr. Maria A. Blasco\n- 1 upcoming event\n\n" in text
