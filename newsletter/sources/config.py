"""The site configuration, newsletter.yaml, validated once into a frozen object."""

from __future__ import annotations

import difflib
import re
import string
import zoneinfo
from email.utils import formataddr, parseaddr
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsletter.core.errors import NewsletterError, Problem, shown
from newsletter.core.fingerprints import model_key
from newsletter.core.layout import CONFIG_FILE
from newsletter.sources.cmssettings import CmsSettings
from newsletter.sources.settingtypes import (
    Address,
    Authority,
    FooterSettings,
    OneLine,
    ProjectFolder,
    WebUrl,
    catalogue_language,
)
from newsletter.sources.validation import validate_document
from newsletter.sources.yamlfile import load_document, read_source

_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
SUBJECT_FIELDS = {"issue", "lead", "period", "site"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Author(_Section):
    name: OneLine = ""
    """Name shown as the feeds' author; default: the site title."""
    email: Address | None = None
    """Contact address shown with the author; default: none."""


class DigestSettings(_Section):
    period: Literal["weekly", "monthly"] = "weekly"
    """weekly (ISO weeks from Monday 00:00 local time) or monthly (calendar months)."""
    upcoming_events_days: Annotated[int, Field(ge=0, le=366)] = 14
    """Events announced by a period's end that start within this many days after it are
    listed under "Upcoming events"."""
    size_budget_kb: Annotated[int, Field(ge=10)] = 102
    """Largest email.html in kilobytes; Gmail clips longer messages. A build warns at 90 %
    and fails beyond it."""


class FeedSettings(_Section):
    entries: Annotated[int, Field(ge=1, le=10_000)] = 50
    """How many of the newest items feed.atom, feed.rss, feed.json and each tag feed hold."""


class Unsubscribe(_Section):
    url: WebUrl | None = None
    """Web page (https) where a reader unsubscribes, which your web site must provide;
    default: none. With {token} in it (e.g. https://example.org/unsubscribe?t={token}),
    each recipient gets a link of their own, an HMAC-SHA256 of their address keyed by
    the secret in NEWSLETTER_UNSUBSCRIBE_SECRET ({address} adds the address itself), and
    one-click unsubscribe (RFC 8058); see docs/workflow.md."""
    mailto: Address | None = None
    """Address a reader can mail to unsubscribe; default: none."""

    @field_validator("url")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        for name in re.findall(r"\{([^}]*)\}", value or ""):
            if name not in ("token", "address"):
                raise ValueError(f"unknown placeholder {{{name}}}; use {{token}} or {{address}}")
        return value


class EmailSettings(_Section):
    model_config = ConfigDict(populate_by_name=True)
    sender: Address | None = Field(default=None, alias="from")
    """The From header, e.g. "ICR News <news@example.org>"; default: the title with the
    author's address (or news@ the host of base_url)."""
    to: list[Address] = []
    """Default recipients of `newsletter send` (one address or a list)."""
    unsubscribe: Unsubscribe = Unsubscribe()
    """How readers unsubscribe: {url, mailto}; both go into the List-Unsubscribe header."""
    postal_address: OneLine = ""
    """Postal address shown in the footer of every email."""
    send_from: Literal["anywhere", "ci"] = "anywhere"
    """Where the real send to email.to happens, so that one send log is the record:
    anywhere (by hand, on any machine but CI) or ci (only in CI, where the CI variable is
    true). A real send in the other place refuses; a test copy (--to) goes anywhere."""
    subscribe_url: WebUrl | None = None
    """The page where a reader signs up for the email (the institute's form or list
    page): a "Sign up" link on every page, digest and the follow page; default: none,
    and no link."""
    subject: OneLine = "{issue}: {lead}"
    """The subject line, from {issue} (e.g. Week 16, or April 2024), {lead} (the lead
    story's title; the first upcoming event's, in a week without news), {period} (e.g.
    Week 16, 2024) and {site} (the title); the sender's name is shown beside it already.
    A lead that would make it longer than 78 characters is cut at a word, with "…"."""

    @field_validator("subject")
    @classmethod
    def _subject_fields(cls, value: str) -> str:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError:
            raise ValueError("write a brace as {{ or }}, a field as {lead}") from None
        unknown = sorted(names - SUBJECT_FIELDS)
        if unknown:
            fields = "{issue}, {lead}, {period} or {site}"
            raise ValueError(f"unknown field {{{unknown[0]}}}; use {fields}")
        return value

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class SmtpSettings(_Section):
    host: OneLine = "localhost"
    """The SMTP server's host name."""
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    """The SMTP server's port (587 for starttls, 465 for ssl, 25 for none)."""
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """starttls, ssl or none. With none, send refuses to log in to any host but this
    machine (localhost, 127.0.0.1, ::1): the password would cross the network in clear."""
    username: OneLine | None = None
    """Login name; the password only ever comes from NEWSLETTER_SMTP_PASSWORD."""
    ca_file: OneLine | None = None
    """A PEM file (relative to the project) of the certificate authorities to trust instead
    of the system's, for a server whose certificate an internal authority signed."""


class Config(_Section):
    """Everything newsletter.yaml can say; every field but title and base_url has a default."""

    title: OneLine = Field(min_length=1)
    """The site's name, used as the feeds' title and the email's sender name."""
    base_url: WebUrl
    """Where out/ is published (https://...); every link in every output is absolute."""
    description: OneLine = ""
    """One sentence about the site, used as the feeds' subtitle; default: the title."""
    language: str = "en"
    """Language of the site (BCP 47): of its interface (en and nb are shipped), its dates,
    and its items, each of which can say otherwise with lang."""
    timezone: str = "UTC"
    """IANA time zone (e.g. Europe/Oslo) in which dates without an offset are read."""
    author: Author = Author()
    """The feeds' author: {name, email}."""
    id_authority: Authority = ""
    """Authority of the entries' tag: URIs (RFC 4151), e.g. example.org or example.org,2024;
    default: the host of base_url. Never change it: readers identify entries by it."""
    state_dir: ProjectFolder = ".newsletter"
    """Folder, relative to the project, for the send log and the build cache; the
    project's alone: a folder holding files newsletter did not make is refused."""
    digest: DigestSettings = DigestSettings()
    """The periodic digest: {period, upcoming_events_days, size_budget_kb}."""
    feed: FeedSettings = FeedSettings()
    """The feeds: {entries}."""
    email: EmailSettings = EmailSettings()
    """The email: {from, to, unsubscribe, postal_address, send_from, subscribe_url,
    subject}."""
    footer: FooterSettings = FooterSettings()
    """Who the site is from: {address, privacy_url, contact}."""
    smtp: SmtpSettings = SmtpSettings()
    """How `newsletter send` reaches the mail server: {host, port, security, username}."""
    cms: CmsSettings = CmsSettings()
    """The browser editor at /admin/ (Decap CMS): {backend, script, integrity}; see
    docs/cms.md."""

    @field_validator("base_url")
    @classmethod
    def _folder_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.query or parts.fragment:
            raise ValueError(
                "must not have a query (?) or fragment (#); give the folder's address alone"
            )
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else "use an IANA name such as Europe/Oslo"
            )
            raise ValueError(f"unknown time zone {shown(value)}; {hint}") from None
        return value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        if not _LANG.fullmatch(value):
            raise ValueError(f"expected a language code such as en or nb, got {shown(value)}")
        catalogue_language(value)
        return value

    @cached_property
    def value_key(self) -> str:
        """The key of every setting, worked out once (see core.fingerprints.key_of): a
        setting changed is a new key for every output made with it."""
        return model_key(self)

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        """The host name of base_url."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def tag_prefix(self) -> str:
        """The part of every tag: URI before the item id, e.g. tag:example.org,2024:."""
        authority = self.id_authority or self.host
        if "," not in authority:
            authority += ",2024"
        return f"tag:{authority}:"

    @property
    def subtitle(self) -> str:
        """The description, or the title where there is none."""
        return self.description or self.title

    @property
    def sender(self) -> str:
        """The From address of the email: email.from, else the author's address."""
        if self.email.sender:
            return self.email.sender
        return formataddr((self.title, self.author.email or f"news@{self.host}"))

    @property
    def unsubscribe_url(self) -> str | None:
        """Where readers unsubscribe: email.unsubscribe.url, else a mailto: link, else none."""
        return self.email.unsubscribe.url or self.unsubscribe_mailto

    @property
    def unsubscribe_mailto(self) -> str | None:
        """The mailto: link that unsubscribes, from email.unsubscribe.mailto; else none."""
        mailto = self.email.unsubscribe.mailto
        return f"mailto:{parseaddr(mailto)[1]}?subject=unsubscribe" if mailto else None

    @property
    def author_name(self) -> str:
        """The author's name, or the title where none is set."""
        return self.author.name or self.title


def load_config(root: Path) -> Config:
    """Read and validate ROOT/newsletter.yaml."""
    path = root / CONFIG_FILE
    try:
        data = read_source(str(path))
    except FileNotFoundError:
        raise NewsletterError(
            [
                Problem(
                    CONFIG_FILE,
                    0,
                    "",
                    f"not found in {root}; run newsletter where it is, or pass --root",
                )
            ]
        ) from None
    doc = load_document(CONFIG_FILE, data)
    if not isinstance(doc.value, dict):
        raise NewsletterError(
            [Problem(CONFIG_FILE, 1, "", "expected a mapping of settings (name: value)")]
        )
    return validate_document(CONFIG_FILE, doc, Config)


def config_warnings(config: Config) -> list[Problem]:
    """What is allowed but likely wrong: a site published over plain http."""
    parts = urlsplit(config.base_url)
    if parts.scheme == "https" or parts.hostname in _LOCAL_HOSTS:
        return []
    message = "is http, not https: readers' browsers and mail programs will warn; use https"
    return [Problem(CONFIG_FILE, 0, "base_url", message, "warning")]


def describe_settings(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    """Return one Markdown table row per setting: key, default, meaning."""
    rows = []
    for name, info in model.model_fields.items():
        key = prefix + (info.alias or name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(describe_settings(annotation, key + "."))
            continue
        default = "required" if info.is_required() else f"`{_yaml_value(info.default)}`"
        text = " ".join((info.description or "").split())
        rows.append(f"| `{key}` | {default} | {text} |")
    return rows


def _yaml_value(value: object) -> str:
    if value is None:
        return "null"
    if value == "":
        return '""'
    return str(value).lower() if isinstance(value, bool) else str(value)
