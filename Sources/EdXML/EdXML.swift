import TrucXML
