-- neutralization of Epicentr sources: a copy of the database must never read from
-- or write to the seller's live Epicentr cabinet
UPDATE epicentr_source
   SET api_token = NULL,
       read_only = TRUE,
       active = FALSE,
       connection_state = 'untested',
       connected_as = NULL,
       last_error = NULL;
