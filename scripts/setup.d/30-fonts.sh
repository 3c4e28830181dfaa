# CJK fonts for the stamp room (generated seal pictures): AR PL UMing (a Song/Ming face, the
# face the State Council's seal rules ask for on official seals) and WenQuanYi Zen Hei.
apt_install fontconfig fonts-arphic-uming fonts-wqy-zenhei
