-- The SQLite schema geomap created before Alembic (commit da3d95f: create_all + the R*Tree),
-- for tests/test_db.py's upgrade test.
CREATE TABLE articles (
	id INTEGER NOT NULL,
	content_hash VARCHAR(64) NOT NULL,
	title TEXT NOT NULL,
	url TEXT,
	outlet TEXT,
	published VARCHAR(32),
	source TEXT,
	text TEXT NOT NULL,
	ingested_at VARCHAR(32) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (content_hash)
);
CREATE TABLE events (
	id INTEGER NOT NULL,
	place_id VARCHAR(64) NOT NULL,
	place_name TEXT NOT NULL,
	place_kind VARCHAR(32) NOT NULL,
	country VARCHAR(2),
	admin1 TEXT,
	lat FLOAT NOT NULL,
	lon FLOAT NOT NULL,
	geo_precision INTEGER NOT NULL,
	event_type VARCHAR(32) NOT NULL,
	date VARCHAR(10),
	date_precision VARCHAR(8),
	actors TEXT NOT NULL,
	roles TEXT DEFAULT '{}' NOT NULL,
	confidence FLOAT NOT NULL,
	source_count INTEGER NOT NULL,
	article_id INTEGER NOT NULL,
	sentence TEXT NOT NULL,
	mention TEXT NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(article_id) REFERENCES articles (id)
);
CREATE INDEX ix_events_date ON events (date);
CREATE INDEX ix_events_event_type ON events (event_type);
CREATE INDEX ix_events_place_id ON events (place_id);
CREATE TABLE mentions (
	id INTEGER NOT NULL,
	article_id INTEGER NOT NULL,
	start INTEGER NOT NULL,
	"end" INTEGER NOT NULL,
	text TEXT NOT NULL,
	place_id VARCHAR(64) NOT NULL,
	name TEXT NOT NULL,
	kind VARCHAR(32) NOT NULL,
	country VARCHAR(2),
	lat FLOAT NOT NULL,
	lon FLOAT NOT NULL,
	literal BOOLEAN NOT NULL,
	confidence FLOAT NOT NULL,
	reason TEXT,
	PRIMARY KEY (id),
	FOREIGN KEY(article_id) REFERENCES articles (id)
);
CREATE INDEX ix_mentions_article_id ON mentions (article_id);
CREATE TABLE event_actors (
	event_id INTEGER NOT NULL,
	actor VARCHAR(16) NOT NULL,
	PRIMARY KEY (event_id, actor),
	FOREIGN KEY(event_id) REFERENCES events (id)
);
CREATE INDEX ix_event_actors_actor ON event_actors (actor, event_id);
CREATE TABLE reports (
	id INTEGER NOT NULL,
	event_id INTEGER NOT NULL,
	article_id INTEGER NOT NULL,
	sentence TEXT NOT NULL,
	sentence_start INTEGER NOT NULL,
	sentence_end INTEGER NOT NULL,
	mention_start INTEGER NOT NULL,
	mention_end INTEGER NOT NULL,
	actors TEXT NOT NULL,
	date VARCHAR(10),
	PRIMARY KEY (id),
	FOREIGN KEY(event_id) REFERENCES events (id),
	FOREIGN KEY(article_id) REFERENCES articles (id)
);
CREATE INDEX ix_reports_article_id ON reports (article_id);
CREATE INDEX ix_reports_event_id ON reports (event_id);
CREATE VIRTUAL TABLE events_rtree USING rtree(id, minx, maxx, miny, maxy);
