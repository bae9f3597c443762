"""People and access in the dashboard: account 2FA, authenticator enrolment, users, service
users and teams (issue 12). Screens subclass the area lists and add their own write actions;
every call still goes through `WriteFlow.perform` (audit, send once, store, refresh)."""
