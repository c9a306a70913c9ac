import EdXML
