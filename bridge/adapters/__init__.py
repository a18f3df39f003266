"""The world outside the store: Icinga 2's REST API (``icinga_api``), the SMTP relay
(``mail``) and the email-to-SMS gateway (``sms``)."""
