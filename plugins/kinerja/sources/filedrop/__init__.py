"""The agency file drop: exports institution admins download, dropped into their inbox folder.

`parsers` reads each known export format into canonical rows; `inbox` archives each new
file, decides which registry account it belongs to, checks it against the account's
history and lands it with source "filedrop".
"""
