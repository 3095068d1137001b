//! Courses of several dates and the language of an account: attendance per session of a course booked
//! as a whole, one reminder per booking before each session (at most one a day per booking), and the
//! language people choose for their mails on the account page.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Attendance at a later session of a course booked as a whole. The first date's attendance
        // stays on the booking itself, as for every single date.
        manager
            .create_table(
                Table::create()
                    .table(SessionAttendance::Table)
                    .col(big_pk_auto(SessionAttendance::Id))
                    .col(big_integer(SessionAttendance::BookingId))
                    .col(integer(SessionAttendance::DateId))
                    .col(string(SessionAttendance::Attendance))
                    .col(timestamp_with_time_zone(SessionAttendance::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SessionAttendance::Table, SessionAttendance::BookingId)
                            .to(Bookings::Table, Bookings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SessionAttendance::Table, SessionAttendance::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_attendance_once")
                    .table(SessionAttendance::Table)
                    .col(SessionAttendance::DateId)
                    .col(SessionAttendance::BookingId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // One row per reminder sent: a booking is reminded once per date (and its revision, so a
        // moved date is reminded again) and at most once per calendar day. Both are unique, so an
        // instance claims a reminder by inserting its row.
        manager
            .create_table(
                Table::create()
                    .table(BookingReminders::Table)
                    .col(big_pk_auto(BookingReminders::Id))
                    .col(big_integer(BookingReminders::BookingId))
                    .col(integer(BookingReminders::DateId))
                    .col(integer(BookingReminders::Revision))
                    .col(string_len(BookingReminders::RemindedOn, 10))
                    .col(timestamp_with_time_zone(BookingReminders::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BookingReminders::Table, BookingReminders::BookingId)
                            .to(Bookings::Table, Bookings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BookingReminders::Table, BookingReminders::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_booking_reminders_per_date")
                    .table(BookingReminders::Table)
                    .col(BookingReminders::BookingId)
                    .col(BookingReminders::DateId)
                    .col(BookingReminders::Revision)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_booking_reminders_per_day")
                    .table(BookingReminders::Table)
                    .col(BookingReminders::BookingId)
                    .col(BookingReminders::RemindedOn)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // `de`, `en` or `de-x-ls` (Leichte Sprache), chosen on the account page and used for mails
        // to the account; empty until chosen (then the language of the page someone booked on).
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::Language, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Language)
                    .to_owned(),
            )
            .await?;
        for table in [
            BookingReminders::Table.into_iden(),
            SessionAttendance::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Language,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SessionAttendance {
    #[sea_orm(iden = "session_attendance")]
    Table,
    Id,
    BookingId,
    DateId,
    Attendance,
    RecordedAt,
}

#[derive(DeriveIden)]
enum BookingReminders {
    Table,
    Id,
    BookingId,
    DateId,
    Revision,
    RemindedOn,
    SentAt,
}
