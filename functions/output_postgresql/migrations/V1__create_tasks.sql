-- The tutorial's single table (db-scripts/schema.sql), applied by the function on cold start.
-- "modification" orders listings by last change, which is the order the tutorial's logs show
-- (it relied on heap order, where an updated row moves to the end).
CREATE SEQUENCE tasks_modification_seq;

CREATE TABLE tasks (
    uuid          uuid        PRIMARY KEY,
    description   text        NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
    creation_date timestamptz NOT NULL,
    priority      integer     NOT NULL CHECK (priority >= 0),
    modification  bigint      NOT NULL DEFAULT nextval('tasks_modification_seq')
);

ALTER SEQUENCE tasks_modification_seq OWNED BY tasks.modification;

CREATE INDEX tasks_modification_idx ON tasks (modification);
