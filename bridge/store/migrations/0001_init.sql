-- Schema version 1 of the easbridge state store. One database holds one
-- account: its collections (calendars, task lists, journals, address books
-- and mail folders), the DAV objects, the time index, the change log that
-- sync tokens are read from, the outbox of local changes, the ServerId map
-- with base versions, and the conflicts table.

CREATE TABLE collection (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	name             TEXT    NOT NULL UNIQUE,   -- DAV URL segment or Maildir folder name
	kind             TEXT    NOT NULL CHECK (kind IN ('events', 'tasks', 'journal', 'contacts', 'mail')),
	display_name     TEXT    NOT NULL DEFAULT '',
	description      TEXT    NOT NULL DEFAULT '',
	color            TEXT    NOT NULL DEFAULT '',
	server_id        TEXT    UNIQUE,            -- EAS CollectionId; NULL until the server knows it
	parent_server_id TEXT    NOT NULL DEFAULT '',
	sync_key         TEXT    NOT NULL DEFAULT '0',
	revision         INTEGER NOT NULL DEFAULT 0 -- sync token and ctag
);

CREATE TABLE object (
	id            INTEGER PRIMARY KEY,
	collection_id INTEGER NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
	name          TEXT    NOT NULL,
	uid           TEXT    NOT NULL,
	etag          TEXT    NOT NULL,
	size          INTEGER NOT NULL,
	revision      INTEGER NOT NULL,
	modified      INTEGER NOT NULL,             -- unix nanoseconds
	data          BLOB    NOT NULL,             -- last: listings need not read past it
	UNIQUE (collection_id, name)
);
-- UIDs are unique per collection, except that an empty UID (a vCard
-- without one) may repeat.
CREATE INDEX object_revision ON object (collection_id, revision);
CREATE UNIQUE INDEX object_uid ON object (collection_id, uid) WHERE uid <> '';

-- span holds the UTC intervals [start, end) in unix seconds during which an
-- object occurs: one row per expanded occurrence, or a row for the whole
-- series, or an open row (end = max int64) for what lies beyond the
-- expansion bound; an object without dates has one row open both ways.
-- Rows may over-approximate: queries yield candidates that the DAV layer
-- checks against the iCalendar. Long rows (over 31 days)
-- are flagged so that the common short rows can be found with a bounded
-- range scan of the index.
CREATE TABLE span (
	object_id     INTEGER NOT NULL REFERENCES object (id) ON DELETE CASCADE,
	collection_id INTEGER NOT NULL,
	long          INTEGER NOT NULL,
	start         INTEGER NOT NULL,
	end           INTEGER NOT NULL
);
CREATE INDEX span_range ON span (collection_id, long, start);
CREATE INDEX span_object ON span (object_id);

-- change holds, per collection and resource name, the revision of its last
-- change; a deleted resource stays as a tombstone. RFC 6578 sync tokens
-- are revisions.
CREATE TABLE change (
	collection_id INTEGER NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
	name          TEXT    NOT NULL,
	revision      INTEGER NOT NULL,
	deleted       INTEGER NOT NULL,
	PRIMARY KEY (collection_id, name)
) WITHOUT ROWID;
CREATE INDEX change_revision ON change (collection_id, revision);

-- item maps an EAS ServerId to the local item (a DAV object name or a
-- Maildir message key) with the base version both sides agreed on and the
-- SyncKey at which they agreed (DESIGN.md, conflicts).
CREATE TABLE item (
	collection_id INTEGER NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
	server_id     TEXT    NOT NULL,
	local_id      TEXT    NOT NULL,
	base          BLOB,
	base_sync_key TEXT    NOT NULL,
	PRIMARY KEY (collection_id, server_id)
);
CREATE UNIQUE INDEX item_local ON item (collection_id, local_id);

-- outbox holds local changes waiting for the server, in order. A row with
-- a client_id has been handed to the engine for sending and is no longer
-- merged with later changes; failed rows carry the reason and are skipped.
CREATE TABLE outbox (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	collection_id INTEGER NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
	op            TEXT    NOT NULL CHECK (op IN ('add', 'change', 'delete', 'folder-create', 'folder-update')),
	local_id      TEXT    NOT NULL,
	server_id     TEXT    NOT NULL DEFAULT '',
	client_id     TEXT    NOT NULL DEFAULT '',
	attempts      INTEGER NOT NULL DEFAULT 0,
	failure       TEXT    NOT NULL DEFAULT '',
	created       INTEGER NOT NULL
);
CREATE INDEX outbox_collection ON outbox (collection_id, id);
CREATE INDEX outbox_item ON outbox (collection_id, local_id);

-- conflict keeps the losing side of every conflict, for `easbridge status`.
CREATE TABLE conflict (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	collection_id INTEGER NOT NULL REFERENCES collection (id) ON DELETE CASCADE,
	server_id     TEXT    NOT NULL,
	local_id      TEXT    NOT NULL,
	winner        TEXT    NOT NULL CHECK (winner IN ('server', 'client')),
	loser_data    BLOB,
	reason        TEXT    NOT NULL,
	sync_key      TEXT    NOT NULL,
	created       INTEGER NOT NULL
);

-- folder_delete holds folders deleted on the desktop that the server still
-- has: the collection row is gone, so they cannot live in outbox.
CREATE TABLE folder_delete (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	server_id TEXT    NOT NULL,
	name      TEXT    NOT NULL,
	created   INTEGER NOT NULL
);

-- meta holds account-wide values: the FolderSync SyncKey, the device id.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
