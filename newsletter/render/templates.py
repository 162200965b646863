"""The Jinja2 environment: a project's templates/ first, the package's defaults second.

A project template overrides the built-in one of the same name, and can extend it
with ``{% extends "default:page.html" %}``. Undefined variables fail loudly. The
environment speaks the site's language: ``{% trans %}``, ``_()`` and the date filters.
A project's templates are untrusted input: rendered in a sandbox with a time bound
(see sandbox.py), and read only as plain UTF-8 files inside templates/, never
through a link.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
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
from newsletter.render.sandbox import RENDER_SECONDS, Sandbox, TimeUp, time_bound
from newsletter.sources.templatefiles import BUILT_IN, files_under

_LINKED_FOLDER = Problem(
    f"{TEMPLATES_DIR}/", 0, "", "is a link; make it a folder of the project's own"
)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per process, whatever environment asks: each kept under
    its name and file, and used again only for the same source (Jinja compares its
    checksum). Every environment is made alike below, so the code compiled is the same.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


# A preview rebuilds, and a process building one project after another (the tests) would
# otherwise compile the built-in templates again for each: most of a small site's build.
_COMPILED = _CompiledTemplates()


def make_environment(root: Path, language: str = "en") -> jinja2.Environment:
    """Return the environment that renders every page and email of the project at ROOT,
    in *language*."""
    defaults = jinja2.PackageLoader("newsletter", "templates")
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"default": defaults}, delimiter=":"),
            ProjectTemplates(root / TEMPLATES_DIR),
            defaults,
        ]
    )
    env = Sandbox(
        loader=loader,
        autoescape=lambda name: not (name or "").endswith(".txt"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=_COMPILED,
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
    """A project's templates as they are in one build: its root, the fingerprint of
    their files (see sources.templatefiles), and the language they speak."""

    root: Path
    key: str
    language: str = "en"

    @functools.cached_property  # every job of a build receives the templates
    def value_key(self) -> str:
        """Its key as an argument of a render function (see core.fingerprints.Keyed): the
        templates' files and the language, not the folder they are found in."""
        return fingerprint("templates", self.key, self.language)


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


class ProjectTemplates(jinja2.BaseLoader):
    """The project's templates/: plain files inside it, UTF-8, never read through a link
    (which could publish /etc/passwd), nor a pipe (which would hang the build)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """Return the text of *template*, its file, and whether it is unchanged since."""
        path = self.folder
        if path.is_symlink():  # a project may hold a link to /etc, as a file or a folder
            raise NewsletterError([_LINKED_FOLDER])
        for piece in jinja2.loaders.split_template_path(template):  # refuses ..
            path = path / piece
            try:
                mode = os.lstat(path).st_mode
            except (FileNotFoundError, NotADirectoryError):
                raise jinja2.TemplateNotFound(template) from None
            except OSError as exc:
                raise _refused(template, f"cannot be read: {exc.strerror}") from None
            if stat.S_ISLNK(mode):
                inside = path.relative_to(self.folder).as_posix()
                what = "is a link" if inside == template else f"{TEMPLATES_DIR}/{inside} is a link"
                raise _refused(template, f"{what}; put the template itself in {TEMPLATES_DIR}/")
        if not stat.S_ISREG(mode):
            raise _refused(template, "is not a plain file (a folder, device, pipe or socket)")
        data, changed = _read_plain(path, template)
        return _decoded(data, template), str(path), lambda: _changed_at(path) == changed


def _read_plain(path: Path, template: str) -> tuple[bytes, int]:
    """The bytes of a plain file, never one swapped for a link or a pipe meanwhile."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(handle, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise _refused(template, "is not a plain file (a device, pipe or socket)")
            return file.read(), status.st_mtime_ns
    except OSError as exc:
        raise _refused(template, f"cannot be read: {exc.strerror}") from None


def _changed_at(path: Path) -> int:
    try:
        return os.lstat(path).st_mtime_ns
    except OSError:
        return -1


def _decoded(data: bytes, template: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8"
        raise NewsletterError([Problem(f"{TEMPLATES_DIR}/{template}", line, "", message)]) from None


def _refused(template: str, message: str) -> NewsletterError:
    return NewsletterError([Problem(f"{TEMPLATES_DIR}/{template}", 0, "", message)])


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render template *name*, turning Jinja's errors into located problems."""
    try:
        with time_bound():
            return env.get_template(name).render(**context)
    except TimeUp as exc:
        line, label = _template_line(exc, name)
        message = f"still rendering after {RENDER_SECONDS:g} seconds; a loop that never ends?"
        raise NewsletterError([Problem(label, line, "", message)]) from None
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
    if not os.path.lexists(path):
        return None
    if path.parent.is_symlink():  # as for the templates themselves: never through a link
        raise NewsletterError([_LINKED_FOLDER])
    if path.is_symlink():
        raise _refused(name, f"is a link; put the picture itself in {TEMPLATES_DIR}/")
    data, _ = _read_plain(path, name)
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
    if filename and Path(filename).is_relative_to(BUILT_IN):
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
    for folder in (BUILT_IN, Path(TEMPLATES_DIR)):
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return path.name


_PICTURES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}


def template_problems(root: Path) -> list[Problem]:
    """What a build would refuse in the project's templates/, found without rendering:
    links, pipes and other files that are not plain, text that is not UTF-8, Jinja
    syntax errors, and pictures (the logo, the icon) that cannot be read; each at its
    file and line."""
    folder, problems = root / TEMPLATES_DIR, list[Problem]()
    env, loader = make_environment(root), ProjectTemplates(folder)
    if folder.is_symlink():
        return [_LINKED_FOLDER]
    for path in files_under(folder):
        name = path.relative_to(folder).as_posix()
        try:
            if path.suffix.lower() in _PICTURES:  # the logo and icon: pictures, not text
                project_picture(root, name)
                continue
            env.parse(loader.get_source(env, name)[0], name)
        except NewsletterError as exc:
            problems.extend(exc.problems)
        except jinja2.TemplateSyntaxError as exc:
            message = exc.message or "syntax error"
            problems.append(Problem(f"{TEMPLATES_DIR}/{name}", exc.lineno, "", message))
        except jinja2.TemplateNotFound:
            pass  # gone meanwhile
    return problems
