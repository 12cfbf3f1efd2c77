-- Guests number themselves from their own sequence, offset above every id an account elsewhere
-- can have (app::orders::GUEST_IDS_FROM), instead of MAX(id)+1: two first-time guests at once
-- cannot take the same id, and a guest never takes an id an account may bring later.
CREATE TABLE guest_ids (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
