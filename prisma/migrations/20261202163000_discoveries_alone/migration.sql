-- Each listener's first listen of each track is already in `discoveries` (every (listener, track)
-- in the row of the day it was first heard): the refresh reads it there, so the copy kept per pair
-- goes. It held nothing else, and writing it was over half of the nightly refresh's time.
DROP TABLE IF EXISTS "heard_tracks";
