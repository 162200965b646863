"""The browser editor's settings in newsletter.yaml: `cms:`, where Decap CMS comes from
and, for a published editor, the Git host it writes to."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from newsletter.core.errors import shown
from newsletter.sources.settingtypes import OneLine, WebUrl

DECAP_VERSION = "3.16.3"  # the Decap CMS the editor loads by default; .ci/run installs the same
DECAP_SCRIPT = f"https://cdn.jsdelivr.net/npm/decap-cms@{DECAP_VERSION}/dist/decap-cms.js"
DECAP_INTEGRITY = "sha384-A/Gdn928CNLufmnGWGs9RM4Q9o8bSNLeJERqBFrBjwzL7FRpoLT3MPF8Tl0+Wd2p"
_INTEGRITY = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$")
_REPO = re.compile(r"^[\w.-]+(/[\w.-]+)+$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class GitBackend(_Section):
    name: Literal["github", "gitlab", "gitea", "git-gateway"]
    """The Git host the published editor writes to: github, gitlab, gitea (also
    Forgejo) or git-gateway."""
    repo: OneLine = ""
    """The repository, owner/name (required but for git-gateway)."""
    branch: OneLine = "main"
    """The branch the editor commits to."""
    base_url: WebUrl | None = None
    """The OAuth server that logs editors in (GitHub without Netlify, Gitea)."""
    auth_endpoint: OneLine | None = None
    """The path of the login on base_url, where it is not /auth."""
    api_root: WebUrl | None = None
    """The host's API, for a self-hosted GitLab, Gitea or GitHub Enterprise."""
    app_id: OneLine | None = None
    """The OAuth application's id (GitLab's PKCE login, Gitea)."""
    auth_type: Literal["pkce", "implicit"] | None = None
    """How GitLab logs in: pkce (recommended) or implicit."""

    @field_validator("repo")
    @classmethod
    def _repo_shape(cls, value: str) -> str:
        if value and not _REPO.match(value):
            raise ValueError(f"expected owner/name, got {shown(value)}")
        return value


class CmsSettings(_Section):
    backend: GitBackend | None = None
    """The Git host of the published editor, {name, repo, branch, ...}: with it, build
    publishes out/admin/; without it, the editor is only on `newsletter serve`."""
    script: WebUrl = DECAP_SCRIPT
    """Where the editor loads Decap CMS from: a pinned release on a public CDN, or the
    institute's own copy of dist/decap-cms.js (with the other files of its dist/)."""
    integrity: OneLine | None = None
    """The script's Subresource Integrity hash (sha384-...); default: the pinned release's,
    for the default script, and none for another."""

    @field_validator("integrity")
    @classmethod
    def _integrity_shape(cls, value: str | None) -> str | None:
        if value is not None and not _INTEGRITY.match(value):
            raise ValueError(f"expected sha384-<base64 digest>, got {shown(value)}")
        return value

    @property
    def script_integrity(self) -> str | None:
        """The hash the browser checks the script against, if any."""
        if self.integrity is not None:
            return self.integrity
        return DECAP_INTEGRITY if self.script == DECAP_SCRIPT else None
