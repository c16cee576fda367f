-- docker-compose.yml: each service of the chain has its own database on the one server
-- (keten_core.settings.service_database). Runs once, when the volume is new.
CREATE DATABASE keten_coa_adapter;
CREATE DATABASE keten_duo_adapter;
CREATE DATABASE keten_dossier_bron;
CREATE DATABASE keten_notificatie_router;
CREATE DATABASE keten_cbs_leverancier;
