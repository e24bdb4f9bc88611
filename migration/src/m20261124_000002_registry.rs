//! The registry: unionised enterprises and workers. Personal data (ID numbers, phones) is stored
//! as ciphertext, a keyed blind index (for exact search and the one-person-one-record rule) and
//! the display mask; never in plaintext.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
    OrgId,
    Name,
    Uscc,
    Ownership,
    Industry,
    Address,
    UnionFoundedOn,
    Headcount,
    MemberCount,
    Overcapacity,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Workers {
    Table,
    Id,
    OrgId,
    EnterpriseId,
    Name,
    IdNumberEnc,
    IdNumberIdx,
    IdNumberMasked,
    Sex,
    BirthDate,
    PhoneEnc,
    PhoneIdx,
    PhoneMasked,
    Kind,
    EmploymentStatus,
    MemberSince,
    Frontline,
    HighTemperature,
    Honours,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
}

fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// Names are searched by prefix as a range of byte strings; PostgreSQL must compare them bytewise.
fn name_column<T: IntoIden>(col: T, len: u32, postgres: bool) -> ColumnDef {
    let mut c = ColumnDef::new(col);
    c.string_len(len).not_null();
    if postgres {
        c.extra("COLLATE \"C\"");
    }
    c
}

async fn indexes(
    manager: &SchemaManager<'_>,
    table: DynIden,
    specs: Vec<(&str, Vec<DynIden>)>,
) -> Result<(), DbErr> {
    for (name, cols) in specs {
        let mut index = Index::create().name(name).table(table.clone()).to_owned();
        for col in cols {
            index.col(col);
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        manager
            .create_table(
                Table::create()
                    .table(Enterprises::Table)
                    .col(
                        ColumnDef::new(Enterprises::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Enterprises::OrgId).uuid().not_null())
                    .col(name_column(Enterprises::Name, 200, postgres))
                    .col(
                        ColumnDef::new(Enterprises::Uscc)
                            .string_len(18)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Enterprises::Ownership)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Enterprises::Industry)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Enterprises::Address).string_len(300).null())
                    .col(ColumnDef::new(Enterprises::UnionFoundedOn).date().null())
                    .col(ColumnDef::new(Enterprises::Headcount).integer().null())
                    .col(ColumnDef::new(Enterprises::MemberCount).integer().null())
                    .col(
                        ColumnDef::new(Enterprises::Overcapacity)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Enterprises::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ts(Enterprises::CreatedAt))
                    .col(ts(Enterprises::UpdatedAt))
                    .col(
                        ColumnDef::new(Enterprises::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Enterprises::Table, Enterprises::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        use Enterprises as E;
        indexes(
            manager,
            E::Table.into_iden(),
            vec![
                (
                    "ix_enterprises_org",
                    vec![E::OrgId.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_status",
                    vec![E::Status.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_ownership",
                    vec![E::Ownership.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_industry",
                    vec![E::Industry.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_overcapacity",
                    vec![E::Overcapacity.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_name",
                    vec![E::Name.into_iden(), E::Id.into_iden()],
                ),
                (
                    "ix_enterprises_updated",
                    vec![E::UpdatedAt.into_iden(), E::Id.into_iden()],
                ),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Workers::Table)
                    .col(ColumnDef::new(Workers::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Workers::OrgId).uuid().not_null())
                    .col(ColumnDef::new(Workers::EnterpriseId).uuid().null())
                    .col(name_column(Workers::Name, 100, postgres))
                    .col(ColumnDef::new(Workers::IdNumberEnc).text().not_null())
                    // One ID number is one person, city-wide: guarded here, not only in code.
                    .col(
                        ColumnDef::new(Workers::IdNumberIdx)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Workers::IdNumberMasked)
                            .string_len(18)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Workers::Sex).string_len(8).not_null())
                    .col(ColumnDef::new(Workers::BirthDate).date().not_null())
                    .col(ColumnDef::new(Workers::PhoneEnc).text().null())
                    .col(ColumnDef::new(Workers::PhoneIdx).string_len(64).null())
                    .col(ColumnDef::new(Workers::PhoneMasked).string_len(11).null())
                    .col(ColumnDef::new(Workers::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Workers::EmploymentStatus)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Workers::MemberSince).date().null())
                    .col(
                        ColumnDef::new(Workers::Frontline)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Workers::HighTemperature)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Workers::Honours)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Workers::Status).string_len(16).not_null())
                    .col(ts(Workers::CreatedAt))
                    .col(ts(Workers::UpdatedAt))
                    .col(
                        ColumnDef::new(Workers::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Workers::Table, Workers::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Workers::Table, Workers::EnterpriseId)
                            .to(Enterprises::Table, Enterprises::Id),
                    )
                    .to_owned(),
            )
            .await?;
        use Workers as W;
        indexes(
            manager,
            W::Table.into_iden(),
            vec![
                (
                    "ix_workers_org",
                    vec![W::OrgId.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_enterprise",
                    vec![W::EnterpriseId.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_status",
                    vec![W::Status.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_kind",
                    vec![W::Kind.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_employment",
                    vec![W::EmploymentStatus.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_frontline",
                    vec![W::Frontline.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_high_temperature",
                    vec![W::HighTemperature.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_name",
                    vec![W::Name.into_iden(), W::Id.into_iden()],
                ),
                (
                    "ix_workers_updated",
                    vec![W::UpdatedAt.into_iden(), W::Id.into_iden()],
                ),
                ("ix_workers_phone", vec![W::PhoneIdx.into_iden()]),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Workers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Enterprises::Table).to_owned())
            .await?;
        Ok(())
    }
}
