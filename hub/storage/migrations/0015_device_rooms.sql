-- The room each device is in, so that a home's activity reads as daily living (getting up,
-- the kitchen, the bathroom at night, going out). Unknown (NULL) until someone sets it; the
-- indicators then read the room from the events' own location where it names one.
ALTER TABLE devices ADD COLUMN room text
    CHECK (room IN ('bedroom', 'bathroom', 'kitchen', 'living', 'entrance', 'other'));
