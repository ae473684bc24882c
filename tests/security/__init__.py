"""Attacks on KSB Coach, one test each (issue 19): each failed before its fix."""
