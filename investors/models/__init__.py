from investors.models.applications import Application, Payment, Refund, new_payment_reference
from investors.models.bank import BankStatementImport, BankStatementLine
from investors.models.cards import CardPayment, StripeCustomer, WebhookEvent
from investors.models.daily import DailyRun
from investors.models.documents import Document, DocumentJob, DocumentJobChunk
from investors.models.estates import Estate, EstateTransmission
from investors.models.nominations import Nomination, Nominee
from investors.models.redemptions import RedemptionFund, RedemptionFundMovement, RedemptionRequest
from investors.models.runs import DistributionLine, DistributionRun, InterestElection, PayoutAccount
from investors.models.surplus import Contribution, ContributionImport, SurplusLine, SurplusRun
from investors.models.transfers import TransferRequest
from investors.models.withdrawals import WithdrawalRequest

__all__ = [
    "Application",
    "BankStatementImport",
    "BankStatementLine",
    "CardPayment",
    "Contribution",
    "DailyRun",
    "ContributionImport",
    "DistributionLine",
    "DistributionRun",
    "Document",
    "DocumentJob",
    "DocumentJobChunk",
    "Estate",
    "EstateTransmission",
    "InterestElection",
    "Nomination",
    "Nominee",
    "Payment",
    "PayoutAccount",
    "RedemptionFund",
    "RedemptionFundMovement",
    "RedemptionRequest",
    "Refund",
    "StripeCustomer",
    "SurplusLine",
    "SurplusRun",
    "TransferRequest",
    "WebhookEvent",
    "WithdrawalRequest",
    "new_payment_reference",
]
