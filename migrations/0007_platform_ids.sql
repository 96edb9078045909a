-- Community and channel ids carry their platform (`console:`, `discord:`, `matrix:`),
-- so one database can serve several platforms. Release 0.1.0 wrote console ids
-- without a prefix; give them theirs. Foreign keys are checked at commit.
PRAGMA defer_foreign_keys = ON;
UPDATE communities SET id = 'console:' || id
    WHERE id NOT LIKE 'console:%' AND id NOT LIKE 'discord:%' AND id NOT LIKE 'matrix:%';
UPDATE decks SET community = 'console:' || community
    WHERE community NOT LIKE 'console:%' AND community NOT LIKE 'discord:%' AND community NOT LIKE 'matrix:%';
UPDATE members SET community = 'console:' || community
    WHERE community NOT LIKE 'console:%' AND community NOT LIKE 'discord:%' AND community NOT LIKE 'matrix:%';
UPDATE circles SET community = 'console:' || community
    WHERE community NOT LIKE 'console:%' AND community NOT LIKE 'discord:%' AND community NOT LIKE 'matrix:%';
UPDATE circles SET channel = 'console:' || channel
    WHERE channel NOT LIKE 'console:%' AND channel NOT LIKE 'discord:%' AND channel NOT LIKE 'matrix:%';
UPDATE audit SET community = 'console:' || community
    WHERE community NOT LIKE 'console:%' AND community NOT LIKE 'discord:%' AND community NOT LIKE 'matrix:%';
UPDATE processed_events SET community = 'console:' || community
    WHERE community NOT LIKE 'console:%' AND community NOT LIKE 'discord:%' AND community NOT LIKE 'matrix:%';
