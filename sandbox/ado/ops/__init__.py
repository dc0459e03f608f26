"""Writes to a sandbox ADO organization, with the service's rules and side effects.

JSON Patch (``add``/``replace``/``remove``/``test``) on ``/fields/…``, ``/relations/…`` and
``/rev``; a failed ``test`` rejects the whole patch with 412. ``add`` on ``System.Tags`` appends
(it never removes a tag), ``replace`` sets the exact list, ``remove`` clears it. States, area and
iteration paths are validated like the service does (unless ``bypassRules``). A link is kept on
both ends (adding a Child to A gives B a Parent) and both items get a new revision. Every
revision gets an organization-wide watermark, which is what the reporting revisions API pages on.

One module per kind of write; this package is what the REST handlers and the scripts call
(``ops.apply_patch(...)``).
"""

from __future__ import annotations

from .comments import add_comment, delete_comment, find_comment, update_comment
from .patch import apply_patch
from .recycle import delete_item, restore_item
from .revisions import AdoEvent, AdoOpError, assign_watermarks, commit_revision, normalize_tags

__all__ = [
    "AdoEvent",
    "AdoOpError",
    "add_comment",
    "apply_patch",
    "assign_watermarks",
    "commit_revision",
    "delete_comment",
    "delete_item",
    "find_comment",
    "normalize_tags",
    "restore_item",
    "update_comment",
]
