"""The Jinja2 environment: a project's templates/ first, the package's defaults second.

A project template overrides the built-in one of the same name, and can extend it
with ``{% extends "default:page.html" %}``. Undefined variables fail loudly. The
environment speaks the site's language: ``{% trans %}``, ``_()`` and the date filters.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import jinja2

from newsletter.core.errors import NewsletterError, Problem, shown
from newsletter.core.fingerprints import fingerprint
from newsletter.core.layout import TEMPLATES_DIR
from newsletter.render import dates
from newsletter.render.email_text import wrap
from newsletter.render.i18n import og_locale, translations
from newsletter.render.icons import LOGO_FILE, Logo, logo_shown

_BUILT_IN = Path(__file__).parent.parent / TEMPLATES_DIR


def make_environment(root: Path, language: str = "en") -> jinja2.Environment:
    """Return the environment that renders every page and email of the project at ROOT,
    in *language*."""
    defaults = jinja2.PackageLoader("newsletter", "templates")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"default": defaults}, delimiter=":"),
            jinja2.FileSystemLoader(root / TEMPLATES_DIR),
            defaults,
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=lambda name: not (name or "").endswith(".txt"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    for name in ("long_date", "clock", "period_title", "period_span"):
        env.filters[name] = functools.partial(getattr(dates, name), language=language)
    env.filters["event_when"] = lambda event, tz: dates.event_when(event, tz, language)
    env.filters["og_locale"] = og_locale
    env.filters["wrap"] = wrap
    env.globals["logo"] = _logo(root)
    env.filters["mailbox_address"] = lambda mailbox: parseaddr(mailbox)[1]
    return env


@dataclass(frozen=True)
class Templates:
    """A project's templates as they are in one build: its root, their fingerprint, and
    the language they speak."""

    root: Path
    key: str
    language: str = "en"


@functools.lru_cache(maxsize=4)
def cached_environment(templates: Templates) -> jinja2.Environment:
    """The environment of one build's templates, made once per process.

    Jinja keeps compiled templates and checks only whether *their* file changed, so a
    project template added next to a built-in one would go unseen by an old
    environment: a change of any template makes a new key, and a new environment.
    Under one key the templates are as they were, so it does not look at their files
    again before each page (a stat per page and template).
    """
    env = make_environment(templates.root, templates.language)
    env.auto_reload = False
    return env


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render template *name*, turning Jinja's errors into located problems."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        label = _label(exc.filename, exc.name or name)
        raise NewsletterError(
            [Problem(label, exc.lineno, "", exc.message or "syntax error")]
        ) from None
    except jinja2.TemplateError as exc:
        line, label = _template_line(exc, name)
        raise NewsletterError([Problem(label, line, "", str(exc))]) from None
    except NewsletterError:
        raise
    except Exception as exc:
        # A template can make anything fail (1 / 0, a filter given text); this edge is
        # where it is known which template and line did it.
        line, label = _template_line(exc, name)
        message = f"{type(exc).__name__}: {shown(str(exc))}"
        raise NewsletterError([Problem(label, line, "", message)]) from None


def project_picture(root: Path, name: str) -> bytes | None:
    """The bytes of the project's templates/NAME (logo.png, icon.png), checked to be a
    picture; None where there is none."""
    path = root / TEMPLATES_DIR / name
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        logo_shown(data)
    except (OSError, ValueError):
        message = "is not a picture that can be read; save it again as a PNG"
        raise NewsletterError([Problem(f"{TEMPLATES_DIR}/{name}", 0, "", message)]) from None
    return data


def _logo(root: Path) -> Logo | None:
    data = project_picture(root, LOGO_FILE)
    return logo_shown(data) if data is not None else None


def _label(filename: str | None, name: str) -> str:
    name = name.removeprefix("default:")
    if filename and Path(filename).is_relative_to(_BUILT_IN):
        return f"built-in template {name}"
    return f"{TEMPLATES_DIR}/{name}"


def _template_line(exc: Exception, name: str) -> tuple[int, str]:
    """Find the template frame in the traceback, for a runtime error's line.

    Jinja rewrites a failing render's traceback so that its frames are the templates'
    own files and lines; the deepest of them is where the template failed.
    """
    tb = exc.__traceback__
    found = (0, f"{TEMPLATES_DIR}/{name}")
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None and filename == template.filename:
            found = (
                template.get_corresponding_lineno(tb.tb_lineno),
                _label(filename, template.name),
            )
        elif not filename.endswith(".py") and not filename.startswith("<"):
            found = (tb.tb_lineno, _label(filename, _name_of(filename)))
        tb = tb.tb_next
    return found


def _name_of(filename: str) -> str:
    """The template name of a template file: its path within its folder."""
    path = Path(filename)
    for folder in (_BUILT_IN, Path(TEMPLATES_DIR)):
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return path.name


def templates_fingerprint(root: Path) -> str:
    """Hash every template a build may use: the built-in ones and the project's own."""
    parts: list[str | bytes] = []
    for folder in (_BUILT_IN, root / TEMPLATES_DIR):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return fingerprint(*parts)
