"""An export (my data, my portfolio, a review pack) as Slack's files_upload_v2 arguments.

Replies carry a document in `metadata["export"]` (see `bot.documents.files.export_metadata`);
live answers (the adapter) and proactive messages (the sender) upload it the same way.
"""

from __future__ import annotations

from typing import Any

from bot.messages import Reply


def export_upload(reply: Reply, channel: str) -> dict[str, Any] | None:
    """files_upload_v2 keyword arguments putting the reply's file into `channel`; None without one."""
    export = reply.metadata.get("export")
    if not isinstance(export, dict) or not export.get("content"):
        return None
    content = export["content"]
    filename = str(export.get("filename") or "export.txt")
    upload: dict[str, Any] = {"channel": channel, "filename": filename, "title": str(export.get("filename") or "")}
    if isinstance(content, bytes):
        upload["file"] = content
    else:
        upload["content"] = str(content)
    return upload
