-- One PostgreSQL server for the single-host compose file, one database per
-- service and one for the gateway's audit: run once, by the postgres image, on
-- an empty data volume (docker-entrypoint-initdb.d). Each service migrates its
-- own database (the `migrate` step of compose.yaml).
CREATE DATABASE renshi_directory;
CREATE DATABASE renshi_training;
CREATE DATABASE renshi_certs;
CREATE DATABASE renshi_attendance;
CREATE DATABASE renshi_speakers;
CREATE DATABASE renshi_gateway;
