"""Cities and large towns named in English after a word that places someone: "I moved to Cardiff in 2015",
"she trained in Swansea", "we live just outside Leicester".

spaCy's small English model finds many of them by context and misses others: "I moved to Cardiff in 2015"
gave nothing (a researcher's audit). Where someone lives, trained or works narrows down who they are, so a
list backs the model up, as `chinese_cities.py` does for Chinese. The list holds the UK's cities and large
towns and the largest cities of the other English-speaking places interviews come from. A name counts only
capitalised, right after in, to, from, near, outside, around or at: so "Bath" in "in Bath" is the city and
"a bath" is not. Names that are everyday words even capitalised after "in" are left off: Reading ("in
Reading Recovery"), Sale, Deal, Street, March, Wells; so are city states and regions (Singapore, Hong Kong,
Macau), where everyone in a study may live.
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.addresses import AFTER_A_PLACING_WORD
from qualflow.pipeline.deid.findings import Finding, make

_CITIES = (
    # England
    "London|Birmingham|Manchester|Liverpool|Leeds|Sheffield|Bristol|Newcastle|Nottingham|Leicester|Coventry"
    "|Bradford|Hull|Stoke|Wolverhampton|Plymouth|Southampton|Portsmouth|Derby|Sunderland|Brighton|Oxford"
    "|Cambridge|York|Norwich|Exeter|Bath|Gloucester|Worcester|Hereford|Lincoln|Peterborough|Lancaster|Preston"
    "|Carlisle|Durham|Wakefield|Salford|Chester|Canterbury|Winchester|Salisbury|Chichester|Truro|Ely|Lichfield"
    "|Ripon|Milton Keynes|Luton|Northampton|Swindon|Ipswich|Colchester|Chelmsford|Southend|Slough"
    "|Bolton|Wigan|Stockport|Oldham|Rochdale|Blackburn|Blackpool|Burnley|Huddersfield|Halifax|Doncaster"
    "|Rotherham|Barnsley|Middlesbrough|Gateshead|Darlington|Hartlepool|Stockton|Warrington|Crewe|Telford"
    "|Shrewsbury|Walsall|Dudley|Bournemouth|Poole|Torquay|Cheltenham|Basingstoke|Guildford|Maidstone|Crawley"
    "|Watford|Stevenage|Harlow|Bedford|Grimsby|Scunthorpe|Mansfield|Chesterfield|Kettering|Corby|Redditch"
    # Scotland, Wales, Northern Ireland
    "|Edinburgh|Glasgow|Aberdeen|Dundee|Inverness|Stirling|Perth|Paisley|Kilmarnock|Cardiff|Swansea|Newport"
    "|Wrexham|Bangor|Aberystwyth|Belfast|Derry|Londonderry|Lisburn|Armagh|Newry"
    # Ireland
    "|Dublin|Cork|Limerick|Galway|Waterford|Kilkenny"
    # United States, Canada
    "|New York|Los Angeles|Chicago|Houston|Phoenix|Philadelphia|San Antonio|San Diego|Dallas|San Jose|Austin"
    "|Seattle|Denver|Boston|Detroit|Baltimore|Atlanta|Miami|Minneapolis|Pittsburgh|Cleveland|Cincinnati"
    "|Sacramento|Portland|Las Vegas|Nashville|Memphis|Milwaukee|New Orleans|San Francisco|Oakland"
    "|Toronto|Montreal|Vancouver|Calgary|Edmonton|Ottawa|Winnipeg|Halifax|Quebec City"
    # Australia, New Zealand, South Africa
    "|Sydney|Melbourne|Brisbane|Adelaide|Canberra|Hobart|Darwin|Auckland|Wellington|Christchurch|Dunedin"
    "|Johannesburg|Cape Town|Durban|Pretoria"
    # Asia, where interviews are held in English too
    "|Kuala Lumpur|Penang|Johor Bahru|Ipoh|Kowloon|Manila|Jakarta|Bangkok"
    "|Mumbai|Delhi|Bangalore|Chennai|Kolkata|Karachi|Lahore|Dhaka|Lagos|Nairobi|Accra"
)
_CITY = re.compile(AFTER_A_PLACING_WORD + rf"(?P<city>{_CITIES})(?![\w'’-])")


def city_findings(text: str) -> list[Finding]:
    """Listed cities right after a word that places someone, as PLACE findings (source "pattern")."""
    return [make(text, m.start("city"), m.end("city"), "PLACE", "pattern") for m in _CITY.finditer(text)]
