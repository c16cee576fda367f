"""duo-adapter's tables: persons, plichten, termijnen, DUO's decisions and results, signalen,
and DUO's enforcement requests; what DUO learned from the gemeente's source (dossier link,
PIP, offer, MAP/PVT, hours).

Revision ID: duo_adapter_0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "duo_adapter_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("duo_adapter",)
depends_on: str | Sequence[str] | None = "keten_core_0003"


def upgrade() -> None:
    op.create_table(
        "duo_inburgeringsplichtige",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("doelgroep", sa.String(length=30), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duo_inburgeringsplichtige")),
        sa.UniqueConstraint("bsn", name=op.f("uq_duo_inburgeringsplichtige_bsn")),
    )
    op.create_table(
        "duo_inburgeringsplicht",
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.Column("inburgeringsplichtige_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("vastgesteld_op", sa.Date(), nullable=False),
        sa.Column("recht_maatschappelijke_begeleiding", sa.Boolean(), nullable=False),
        sa.Column("beeindigd_op", sa.Date(), nullable=True),
        sa.Column("beeindigingsreden", sa.String(length=30), nullable=True),
        sa.Column("datum_voldaan", sa.Date(), nullable=True),
        sa.Column("wijze_voldaan", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["inburgeringsplichtige_id"],
            ["duo_inburgeringsplichtige.id"],
            name=op.f(
                "fk_duo_inburgeringsplicht_inburgeringsplichtige_id_duo_inburgeringsplichtige"
            ),
        ),
        sa.PrimaryKeyConstraint("inburgeringsplicht_id", name=op.f("pk_duo_inburgeringsplicht")),
        sa.UniqueConstraint(
            "inburgeringsplichtige_id",
            name=op.f("uq_duo_inburgeringsplicht_inburgeringsplichtige_id"),
        ),
    )
    op.create_table(
        "duo_boete",
        sa.Column("duo_boete_id", sa.String(length=40), nullable=False),
        sa.Column("opgelegd_op", sa.Date(), nullable=False),
        sa.Column("grond", sa.String(length=40), nullable=False),
        sa.Column("bedrag_in_centen", sa.Integer(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_boete_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("duo_boete_id", name=op.f("pk_duo_boete")),
    )
    op.create_index(
        op.f("ix_duo_boete_inburgeringsplicht_id"),
        "duo_boete",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_diploma",
        sa.Column("diploma_id", sa.String(length=40), nullable=False),
        sa.Column("soort", sa.String(length=30), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_diploma_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("diploma_id", name=op.f("pk_duo_diploma")),
    )
    op.create_index(
        op.f("ix_duo_diploma_inburgeringsplicht_id"),
        "duo_diploma",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_examenresultaat",
        sa.Column("examenresultaat_id", sa.String(length=40), nullable=False),
        sa.Column("onderdeel", sa.String(length=60), nullable=False),
        sa.Column("niveau", sa.String(length=20), nullable=True),
        sa.Column("examendatum", sa.Date(), nullable=False),
        sa.Column("poging", sa.Integer(), nullable=False),
        sa.Column("uitslag", sa.String(length=20), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_examenresultaat_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("examenresultaat_id", name=op.f("pk_duo_examenresultaat")),
    )
    op.create_index(
        op.f("ix_duo_examenresultaat_inburgeringsplicht_id"),
        "duo_examenresultaat",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_gemeente_dossier",
        sa.Column("dossier_id", sa.String(length=40), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_gemeente_dossier_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_duo_gemeente_dossier")),
    )
    op.create_index(
        op.f("ix_duo_gemeente_dossier_inburgeringsplicht_id"),
        "duo_gemeente_dossier",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_handhavingsverzoek",
        sa.Column("handhavingsverzoek_id", sa.String(length=40), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("handhavingsmaatregel_ids", sa.JSON(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_handhavingsverzoek_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("handhavingsverzoek_id", name=op.f("pk_duo_handhavingsverzoek")),
    )
    op.create_index(
        op.f("ix_duo_handhavingsverzoek_inburgeringsplicht_id"),
        "duo_handhavingsverzoek",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_lbt_uitslag",
        sa.Column("lbt_uitslag_id", sa.String(length=40), nullable=False),
        sa.Column("afnamedatum", sa.Date(), nullable=False),
        sa.Column("uitkomst", sa.String(length=100), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_lbt_uitslag_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("lbt_uitslag_id", name=op.f("pk_duo_lbt_uitslag")),
    )
    op.create_index(
        op.f("ix_duo_lbt_uitslag_inburgeringsplicht_id"),
        "duo_lbt_uitslag",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_ontheffing",
        sa.Column("ontheffing_id", sa.String(length=40), nullable=False),
        sa.Column("omvang", sa.String(length=40), nullable=False),
        sa.Column("onderdelen", sa.JSON(), nullable=False),
        sa.Column("besluitdatum", sa.Date(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_ontheffing_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("ontheffing_id", name=op.f("pk_duo_ontheffing")),
    )
    op.create_index(
        op.f("ix_duo_ontheffing_inburgeringsplicht_id"),
        "duo_ontheffing",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_signaal",
        sa.Column("signaal_id", sa.String(length=40), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("dossier_id", sa.String(length=40), nullable=True),
        sa.Column("klasse", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("codelijst_versie", sa.Integer(), nullable=False),
        sa.Column("betreft", sa.String(length=40), nullable=False),
        sa.Column("betreft_id", sa.String(length=40), nullable=True),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("afgehandeld_door", sa.String(length=40), nullable=True),
        sa.Column("afgehandeld_door_client", sa.String(length=200), nullable=True),
        sa.Column("afgehandeld_op", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_signaal_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("signaal_id", name=op.f("pk_duo_signaal")),
    )
    op.create_index(
        op.f("ix_duo_signaal_gemeentecode"), "duo_signaal", ["gemeentecode"], unique=False
    )
    op.create_index(
        op.f("ix_duo_signaal_inburgeringsplicht_id"),
        "duo_signaal",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_termijn",
        sa.Column("termijn_id", sa.String(length=40), nullable=False),
        sa.Column("soort", sa.String(length=30), nullable=False),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=False),
        sa.Column("laatste_wijziging", sa.String(length=30), nullable=True),
        sa.Column("oorspronkelijke_einddatum", sa.Date(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_termijn_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("termijn_id", name=op.f("pk_duo_termijn")),
        sa.UniqueConstraint(
            "inburgeringsplicht_id", "soort", name=op.f("uq_duo_termijn_inburgeringsplicht_id")
        ),
    )
    op.create_index(
        op.f("ix_duo_termijn_inburgeringsplicht_id"),
        "duo_termijn",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_verlenging",
        sa.Column("verlenging_id", sa.String(length=40), nullable=False),
        sa.Column("ambtshalve", sa.Boolean(), nullable=False),
        sa.Column("aangevraagd_op", sa.Date(), nullable=True),
        sa.Column("besluit", sa.String(length=20), nullable=False),
        sa.Column("besluitdatum", sa.Date(), nullable=True),
        sa.Column("ingangsdatum", sa.Date(), nullable=True),
        sa.Column("nieuwe_einddatum", sa.Date(), nullable=True),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_verlenging_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("verlenging_id", name=op.f("pk_duo_verlenging")),
    )
    op.create_index(
        op.f("ix_duo_verlenging_inburgeringsplicht_id"),
        "duo_verlenging",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_vrijstelling",
        sa.Column("vrijstelling_id", sa.String(length=40), nullable=False),
        sa.Column("omvang", sa.String(length=30), nullable=False),
        sa.Column("onderdelen", sa.JSON(), nullable=False),
        sa.Column("besluitdatum", sa.Date(), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["inburgeringsplicht_id"],
            ["duo_inburgeringsplicht.inburgeringsplicht_id"],
            name=op.f("fk_duo_vrijstelling_inburgeringsplicht_id_duo_inburgeringsplicht"),
        ),
        sa.PrimaryKeyConstraint("vrijstelling_id", name=op.f("pk_duo_vrijstelling")),
    )
    op.create_index(
        op.f("ix_duo_vrijstelling_inburgeringsplicht_id"),
        "duo_vrijstelling",
        ["inburgeringsplicht_id"],
        unique=False,
    )
    op.create_table(
        "duo_gemeente_pip",
        sa.Column("pip_id", sa.String(length=40), nullable=False),
        sa.Column("dossier_id", sa.String(length=40), nullable=False),
        sa.Column("versie", sa.Integer(), nullable=False),
        sa.Column("vaststellingsdatum", sa.Date(), nullable=False),
        sa.Column("leerroute", sa.String(length=30), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["duo_gemeente_dossier.dossier_id"],
            name=op.f("fk_duo_gemeente_pip_dossier_id_duo_gemeente_dossier"),
        ),
        sa.PrimaryKeyConstraint("pip_id", name=op.f("pk_duo_gemeente_pip")),
    )
    op.create_table(
        "duo_gemeente_traject",
        sa.Column("traject_id", sa.String(length=40), nullable=False),
        sa.Column("soort", sa.String(length=10), nullable=False),
        sa.Column("dossier_id", sa.String(length=40), nullable=False),
        sa.Column("afgerond", sa.Boolean(), nullable=True),
        sa.Column("datum_afgerond", sa.Date(), nullable=True),
        sa.Column("reden_niet_afgerond", sa.String(length=60), nullable=True),
        sa.Column("verwijtbaar", sa.Boolean(), nullable=True),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["duo_gemeente_dossier.dossier_id"],
            name=op.f("fk_duo_gemeente_traject_dossier_id_duo_gemeente_dossier"),
        ),
        sa.PrimaryKeyConstraint("traject_id", name=op.f("pk_duo_gemeente_traject")),
    )
    op.create_table(
        "duo_gemeente_uren",
        sa.Column("urenverantwoording_id", sa.String(length=40), nullable=False),
        sa.Column("dossier_id", sa.String(length=40), nullable=False),
        sa.Column("peildatum", sa.Date(), nullable=False),
        sa.Column("uren_taal", sa.Integer(), nullable=False),
        sa.Column("uren_participatie", sa.Integer(), nullable=True),
        sa.Column("reden", sa.String(length=30), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["duo_gemeente_dossier.dossier_id"],
            name=op.f("fk_duo_gemeente_uren_dossier_id_duo_gemeente_dossier"),
        ),
        sa.PrimaryKeyConstraint("urenverantwoording_id", name=op.f("pk_duo_gemeente_uren")),
    )
    op.create_table(
        "duo_gemeente_aanbod",
        sa.Column("inburgeringsaanbod_id", sa.String(length=40), nullable=False),
        sa.Column("pip_id", sa.String(length=40), nullable=False),
        sa.Column("datum_aanbod", sa.Date(), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pip_id"],
            ["duo_gemeente_pip.pip_id"],
            name=op.f("fk_duo_gemeente_aanbod_pip_id_duo_gemeente_pip"),
        ),
        sa.PrimaryKeyConstraint("inburgeringsaanbod_id", name=op.f("pk_duo_gemeente_aanbod")),
    )


def downgrade() -> None:
    op.drop_table("duo_gemeente_aanbod")
    op.drop_table("duo_gemeente_uren")
    op.drop_table("duo_gemeente_traject")
    op.drop_table("duo_gemeente_pip")
    op.drop_index(op.f("ix_duo_vrijstelling_inburgeringsplicht_id"), table_name="duo_vrijstelling")
    op.drop_table("duo_vrijstelling")
    op.drop_index(op.f("ix_duo_verlenging_inburgeringsplicht_id"), table_name="duo_verlenging")
    op.drop_table("duo_verlenging")
    op.drop_index(op.f("ix_duo_termijn_inburgeringsplicht_id"), table_name="duo_termijn")
    op.drop_table("duo_termijn")
    op.drop_index(op.f("ix_duo_signaal_inburgeringsplicht_id"), table_name="duo_signaal")
    op.drop_index(op.f("ix_duo_signaal_gemeentecode"), table_name="duo_signaal")
    op.drop_table("duo_signaal")
    op.drop_index(op.f("ix_duo_ontheffing_inburgeringsplicht_id"), table_name="duo_ontheffing")
    op.drop_table("duo_ontheffing")
    op.drop_index(op.f("ix_duo_lbt_uitslag_inburgeringsplicht_id"), table_name="duo_lbt_uitslag")
    op.drop_table("duo_lbt_uitslag")
    op.drop_index(
        op.f("ix_duo_handhavingsverzoek_inburgeringsplicht_id"), table_name="duo_handhavingsverzoek"
    )
    op.drop_table("duo_handhavingsverzoek")
    op.drop_index(
        op.f("ix_duo_gemeente_dossier_inburgeringsplicht_id"), table_name="duo_gemeente_dossier"
    )
    op.drop_table("duo_gemeente_dossier")
    op.drop_index(
        op.f("ix_duo_examenresultaat_inburgeringsplicht_id"), table_name="duo_examenresultaat"
    )
    op.drop_table("duo_examenresultaat")
    op.drop_index(op.f("ix_duo_diploma_inburgeringsplicht_id"), table_name="duo_diploma")
    op.drop_table("duo_diploma")
    op.drop_index(op.f("ix_duo_boete_inburgeringsplicht_id"), table_name="duo_boete")
    op.drop_table("duo_boete")
    op.drop_table("duo_inburgeringsplicht")
    op.drop_table("duo_inburgeringsplichtige")
